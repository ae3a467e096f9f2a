/**
 * Three-way merge of JSON documents. base = the version a writer read,
 * theirs = the current version, ours = what the writer made of base. Each
 * side's changes are the JSON Pointer paths where it differs from base
 * (objects are compared member by member; arrays, scalars and fields with a
 * rule as whole values). Changes that do not overlap (neither path equals
 * nor contains the other) are combined; overlapping ones are clashes, unless
 * both made the same change or the path has a rule that settles it.
 *
 * Nothing is guessed: a clash no rule settles is reported, never resolved.
 */
import type { FieldRule } from './config';
import { escapePointer, isPlainObject } from './documents';
import type { JsonObject, JsonValue } from './items-model';

/** A path both sides changed, with each side's value there (absent: no value). */
export interface Clash {
  readonly path: string;
  readonly base?: JsonValue;
  readonly theirs?: JsonValue;
  readonly ours?: JsonValue;
}

/** A clash a field rule settled, and what it wrote (absent: the field was removed). */
export interface AppliedRule {
  readonly path: string;
  readonly rule: FieldRule;
  readonly result?: JsonValue;
}

export interface MergeResult {
  readonly merged: JsonObject;
  readonly clashes: readonly Clash[];
  readonly rules: readonly AppliedRule[];
}

/** JSON text with object members in key order: equal values give equal text. */
export const canonicalJson = (value: JsonValue | undefined): string => {
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isPlainObject(value)) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
};

const same = (a: JsonValue | undefined, b: JsonValue | undefined): boolean =>
  canonicalJson(a) === canonicalJson(b);

const member = (value: JsonValue | undefined, key: string): JsonValue | undefined =>
  isPlainObject(value) && Object.hasOwn(value, key) ? (value as JsonObject)[key] : undefined;

/** Paths where `other` differs from `base`; fields with a rule are compared whole. */
const changes = (
  base: JsonValue | undefined,
  other: JsonValue | undefined,
  path: string,
  rules: Readonly<Record<string, FieldRule>>,
  out: string[],
): string[] => {
  if (path !== '' && rules[path] !== undefined) {
    if (!same(base, other)) out.push(path);
    return out;
  }
  if (isPlainObject(base) && isPlainObject(other)) {
    const keys = new Set([...Object.keys(base), ...Object.keys(other)]);
    for (const key of keys) {
      changes(member(base, key), member(other, key), `${path}/${escapePointer(key)}`, rules, out);
    }
    return out;
  }
  if (!same(base, other)) out.push(path);
  return out;
};

const tokens = (path: string): string[] =>
  path
    .split('/')
    .slice(1)
    .map((t) => t.replaceAll('~1', '/').replaceAll('~0', '~'));

/** The value at a pointer; undefined where there is none. */
export const valueAt = (doc: JsonValue | undefined, path: string): JsonValue | undefined =>
  tokens(path).reduce<JsonValue | undefined>((value, key) => member(value, key), doc);

/** Sets (or, with undefined, removes) the member at `path`, whose parent object exists. */
const setAt = (doc: JsonObject, path: string, value: JsonValue | undefined): void => {
  const keys = tokens(path);
  const last = keys.pop();
  if (last === undefined) return;
  const parent = keys.reduce<JsonValue | undefined>((v, key) => member(v, key), doc);
  if (!isPlainObject(parent)) return;
  if (value === undefined) delete (parent as JsonObject)[last];
  else
    Object.defineProperty(parent, last, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
};

const overlaps = (a: string, b: string): boolean =>
  a === b || a.startsWith(`${b}/`) || b.startsWith(`${a}/`);

const isNumber = (v: JsonValue | undefined): v is number => typeof v === 'number';
const asList = (v: JsonValue | undefined): JsonValue[] | undefined =>
  v === undefined ? [] : Array.isArray(v) ? v : undefined;

/** What a rule makes of a field both sides changed; `unsettled` when it cannot settle it. */
const UNSETTLED = Symbol('unsettled');
const settle = (
  rule: FieldRule,
  base: JsonValue | undefined,
  theirs: JsonValue | undefined,
  ours: JsonValue | undefined,
): JsonValue | undefined | typeof UNSETTLED => {
  switch (rule) {
    case 'last-writer-wins':
      return ours;
    case 'server-wins':
      return theirs;
    case 'max':
    case 'min':
      if (!isNumber(theirs) || !isNumber(ours)) return UNSETTLED;
      return rule === 'max' ? Math.max(theirs, ours) : Math.min(theirs, ours);
    case 'counter': {
      const from = base === undefined ? 0 : base;
      if (!isNumber(from) || !isNumber(theirs) || !isNumber(ours)) return UNSETTLED;
      const sum = theirs + (ours - from);
      return Number.isFinite(sum) ? sum : UNSETTLED;
    }
    case 'union': {
      const [b, t, o] = [asList(base), asList(theirs), asList(ours)];
      if (!b || !t || !o) return UNSETTLED;
      const key = (v: JsonValue) => canonicalJson(v);
      const kept = new Set(o.map(key));
      const removed = new Set(b.map(key).filter((k) => !kept.has(k)));
      const result: JsonValue[] = [];
      const seen = new Set<string>();
      for (const v of [...t, ...o]) {
        const k = key(v);
        if (removed.has(k) || seen.has(k)) continue;
        seen.add(k);
        result.push(v);
      }
      return result;
    }
    case 'append': {
      const [b, t, o] = [asList(base), asList(theirs), asList(ours)];
      if (!b || !t || !o) return UNSETTLED;
      // Only appends are merged: ours must still begin with base.
      if (o.length < b.length || !same(o.slice(0, b.length), b)) return UNSETTLED;
      return [...t, ...o.slice(b.length)];
    }
  }
};

/** Merges ours into theirs over base; see the module comment. */
export const threeWayMerge = (
  base: JsonObject,
  theirs: JsonObject,
  ours: JsonObject,
  rules: Readonly<Record<string, FieldRule>> = {},
): MergeResult => {
  const ourPaths = changes(base, ours, '', rules, []);
  const theirPaths = changes(base, theirs, '', rules, []);
  const merged = structuredClone(theirs);
  const clashes: Clash[] = [];
  const applied: AppliedRule[] = [];
  const at = (doc: JsonObject, path: string) => valueAt(doc, path);
  for (const path of ourPaths) {
    const against = theirPaths.filter((other) => overlaps(path, other));
    if (against.length === 0) {
      setAt(merged, path, at(ours, path));
      continue;
    }
    const rule = rules[path];
    // Both made the same change: nothing to settle, except where changes add up.
    if (
      rule !== 'counter' &&
      rule !== 'append' &&
      against.every((other) => other === path) &&
      same(at(ours, path), at(theirs, path))
    ) {
      continue;
    }
    const values = { base: at(base, path), theirs: at(theirs, path), ours: at(ours, path) };
    const settled =
      rule !== undefined && against.every((other) => other === path)
        ? settle(rule, values.base, values.theirs, values.ours)
        : UNSETTLED;
    if (settled === UNSETTLED || rule === undefined) {
      clashes.push({ path, ...definedOnly(values) });
      continue;
    }
    setAt(merged, path, settled);
    applied.push({ path, rule, ...(settled !== undefined ? { result: settled } : {}) });
  }
  return { merged, clashes, rules: applied };
};

const definedOnly = (values: Record<string, JsonValue | undefined>): Record<string, JsonValue> =>
  Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Record<
    string,
    JsonValue
  >;
