/**
 * Unique fields. A collection may declare top-level fields whose values are
 * unique within a tenant and collection. Each value held is a guard record
 * keyed by tenant, collection, field and a hash of the value's canonical
 * JSON, naming the document that holds it. A write claims the values its new
 * body has and releases the ones its old body had, in the same request as
 * the write, so two writers can never both get one value, and a value freed
 * by an update or a delete can be claimed at once.
 *
 * A missing or null value holds nothing (like NULL in SQL).
 */
import { createHash } from 'node:crypto';
import type { ItemKey, JsonObject, JsonValue } from './items-model';
import type { PlanPart } from './write-plan';

/** JSON with object keys sorted at every level: equal values, equal text. */
export const canonicalJson = (value: JsonValue): string => {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k] as JsonValue)}`).join(',')}}`;
  }
  return JSON.stringify(value);
};

export const valueHash = (value: JsonValue): string =>
  createHash('sha256').update(canonicalJson(value), 'utf8').digest('hex');

const heldValue = (body: JsonObject | null | undefined, field: string): string | undefined => {
  const value = body?.[field];
  return value === undefined || value === null ? undefined : valueHash(value);
};

/**
 * The claims and releases of a write of document `key` from `before` (the
 * live body it replaces, if any) to `after` (null for a deletion). Unchanged
 * values need neither. `skipRelease` names fields whose old value another
 * document holds (data written before the field was unique): releasing it
 * would take it from that document, so it is left alone.
 */
export const uniqueParts = (
  key: ItemKey,
  fields: readonly string[],
  before: JsonObject | undefined,
  after: JsonObject | null,
  skipRelease: ReadonlySet<string> = new Set(),
): PlanPart[] =>
  fields.flatMap((field): PlanPart[] => {
    const old = heldValue(before, field);
    const next = heldValue(after, field);
    if (old === next) return [];
    return [
      ...(next !== undefined
        ? [{ kind: 'unique-claim' as const, key, field, valueHash: next }]
        : []),
      ...(old !== undefined && !skipRelease.has(field)
        ? [{ kind: 'unique-release' as const, key, field, valueHash: old }]
        : []),
    ];
  });
