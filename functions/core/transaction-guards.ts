/**
 * Unique-value guards of a transaction's operations, made to fit ONE
 * TransactWriteItems, which takes one action per record:
 *
 * - a value one operation releases and another claims (a value handed from
 *   one document to another, or two documents swapping values) becomes one
 *   claim that takes the guard over from the releasing document;
 * - a value two operations claim can go to one document only: the later
 *   operation fails with unique-violation, naming the earlier one's document.
 */
import { UniqueViolationError } from './errors';
import type { PreparedOperation } from './transaction-operations';
import { type BuiltOperation, failureOf } from './transaction-parts';
import type { PlanPart, UniqueClaimPart, UniqueReleasePart } from './write-plan';

const guardOf = (part: UniqueClaimPart | UniqueReleasePart): string =>
  JSON.stringify([part.key.tenant, part.key.collection, part.field, part.valueHash]);

export const mergeGuards = (
  operations: readonly PreparedOperation[],
  built: readonly BuiltOperation[],
): BuiltOperation[] => {
  const claims = new Map<string, { index: number; part: UniqueClaimPart }>();
  const releases = new Map<string, { index: number; part: UniqueReleasePart }>();
  const taken = new Map<number, UniqueViolationError>();
  built.forEach((b, index) => {
    if (b.kind !== 'ready') return;
    for (const part of b.parts) {
      if (part.kind === 'unique-release') releases.set(guardOf(part), { index, part });
      if (part.kind !== 'unique-claim') continue;
      const first = claims.get(guardOf(part));
      if (first) {
        taken.set(
          index,
          new UniqueViolationError(
            `operation ${first.index} claims this value of "${part.field}" already`,
            part.field,
            first.part.key.id,
          ),
        );
      } else claims.set(guardOf(part), { index, part });
    }
  });
  const handedOver = new Set<UniqueReleasePart>();
  const takingOver = new Map<UniqueClaimPart, string>();
  for (const [guard, claim] of claims) {
    const release = releases.get(guard);
    if (!release || taken.has(claim.index)) continue;
    handedOver.add(release.part);
    takingOver.set(claim.part, release.part.key.id);
  }
  return built.map((b, index): BuiltOperation => {
    const violation = taken.get(index);
    const p = operations[index];
    if (violation && p) return { kind: 'failed', failure: failureOf(p, violation) };
    if (b.kind !== 'ready') return b;
    const parts = b.parts.flatMap((part): PlanPart[] => {
      if (part.kind === 'unique-release' && handedOver.has(part)) return [];
      const from = part.kind === 'unique-claim' ? takingOver.get(part) : undefined;
      return from !== undefined && part.kind === 'unique-claim' ? [{ ...part, from }] : [part];
    });
    return { ...b, parts };
  });
};
