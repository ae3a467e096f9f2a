/**
 * What a collection's conflict policy makes of a stale write: one whose
 * `If-Match` (or body `version`) names an older version than the current
 * one. `reject` keeps the 409. `last-writer-wins` applies the write over the
 * current version. `merge` merges it three ways with the version it names
 * (from the history) and the current version.
 *
 * Either way the result is written by one commit pinned to the current
 * version, so a writer that races it still loses nothing: the writer sees
 * the refusal and asks the policy again with the newer version.
 */
import { type Collection, storedBody } from './collections';
import { MergeClashError, PatchTestFailedError } from './errors';
import { type HistoryEntry, isKept } from './history';
import type { JsonObject, StoredItem } from './items-model';
import { viewOf } from './items-model';
import { type AppliedRule, threeWayMerge } from './merge';

/** What the answer to a stale write the policy took says about it. */
export type WriteReport =
  | {
      readonly outcome: 'merged';
      /** The version the writer named. */
      readonly base: number;
      /** The version the merge was made with (and replaced). */
      readonly current: number;
      /** The field rules that settled clashes. */
      readonly rules: readonly AppliedRule[];
    }
  | { readonly outcome: 'overwrote'; readonly base: number; readonly current: number };

export interface StaleResolution {
  readonly body: JsonObject | null;
  readonly report: WriteReport;
}

/** How a write applies to a version: a PUT's body whatever it is, a patch to it, a delete. */
export type ApplyTo = (item: StoredItem) => JsonObject | null;

export interface StalePolicy {
  /** The base version's history entry is needed to resolve (merge). */
  readonly needsBase: boolean;
  /** The body to write over `current` instead of refusing; throws to refuse. */
  resolve(current: StoredItem, base: number, entry: HistoryEntry | undefined): StaleResolution;
}

/**
 * The policy for one write to collection `c`, or undefined when a stale
 * write stays refused: the `reject` policy, or a delete under `merge` (a
 * deletion has no fields to merge).
 */
export const stalePolicyOf = (
  c: Collection,
  applyTo: ApplyTo,
  options: { deletes: boolean; now: () => number },
): StalePolicy | undefined => {
  const policy = c.config.conflictPolicy;
  if (policy === 'last-writer-wins') {
    return {
      needsBase: false,
      resolve: (current, base) => ({
        body: applyTo(current),
        report: { outcome: 'overwrote', base, current: current.version },
      }),
    };
  }
  if (policy !== 'merge' || options.deletes) return undefined;
  return {
    needsBase: true,
    resolve(current, base, entry) {
      const retention = c.config.history;
      if (!entry || entry.deleted || !isKept(entry, current.version, retention, options.now())) {
        throw new MergeClashError(
          `version ${base} is no longer in the history, so the change cannot be merged; the document is at version ${current.version}`,
          viewOf(current),
          base,
          [],
          false,
        );
      }
      const baseItem: StoredItem = {
        id: current.id,
        version: base,
        deleted: false,
        body: entry.body,
        updatedAt: entry.time,
      };
      let ours: JsonObject | null;
      try {
        ours = applyTo(baseItem);
      } catch (error) {
        // A JSON Patch test that fails on the version it names is refused with the current state.
        if (!(error instanceof PatchTestFailedError)) throw error;
        throw new PatchTestFailedError(error.message, viewOf(current), error.pointer);
      }
      const { merged, clashes, rules } = threeWayMerge(
        entry.body,
        current.body,
        ours ?? {},
        c.config.fields,
      );
      if (clashes.length > 0) {
        const paths = clashes.map((clash) => clash.path).join(', ');
        throw new MergeClashError(
          `changed since version ${base} on both sides: ${paths}; the document is at version ${current.version}`,
          viewOf(current),
          base,
          clashes,
        );
      }
      return {
        body: storedBody(c, merged),
        report: { outcome: 'merged', base, current: current.version, rules },
      };
    },
  };
};
