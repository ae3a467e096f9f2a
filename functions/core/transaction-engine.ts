/**
 * Commits a checked transaction as ONE plan on the one commit path: every
 * operation's parts (a check's condition; a write's document and history
 * entries) plus the transaction's own records (an Idempotency-Key record, or
 * the closing of a staged transaction), sent as one TransactWriteItems.
 *
 * Like a single write, every part is pinned to the version it replaces.
 * A single strong `ifMatch` pins it; a create expects an id that never
 * existed. Everything else (patches, which apply to the current document,
 * and conditions that name no single version) is read first, all in one
 * request, and pinned to what was read. A refusal names every operation
 * whose own condition failed, with the current state DynamoDB returned;
 * when only pins failed (someone wrote in between, a create met a
 * tombstone), the transaction is built again on what is there now.
 */
import { createHash } from 'node:crypto';
import { pinOf, WRITE_ATTEMPTS } from './document-writes';
import { type OperationFailure, TransactionConflictError, ValidationError } from './errors';
import {
  commitOrReplay,
  hashIdempotencyKey,
  type IdempotencyRequest,
  type IdempotentResult,
  idempotencyRecordOf,
  isLive as isLiveRecord,
  replayOf,
} from './idempotency';
import type { ItemStore, StoredItem, WriteCondition } from './items-model';
import { explainCondition } from './preconditions';
import type { OperationResult, TransactionResult } from './transaction-model';
import type { PreparedOperation } from './transaction-operations';
import {
  type Base,
  buildOperation,
  failureOf,
  keptChanging,
  refusedWith,
  sizeChecked,
} from './transaction-parts';
import { checkPlan, type PartRefusal, type PlanPart, PlanRefusedError } from './write-plan';

/** A record the transaction closes as it commits (a staged transaction's). */
export interface Closing {
  /** The part that closes it, given the results the transaction will answer. */
  part(results: readonly OperationResult[]): PlanPart;
  /**
   * Explains the closing part's refusal: the stored answer of a commit that
   * came first, or throws the error that says why the record is closed.
   */
  refused(refusal: Extract<PartRefusal, { kind: 'staged-close' }>): TransactionResult;
}

export interface ExecuteOptions {
  readonly idempotency?: IdempotencyRequest | undefined;
  /** The API key the writes come through, for their history entries. */
  readonly keyId?: string | undefined;
  readonly closing?: Closing;
}

const replayed = (result: IdempotentResult): TransactionResult => {
  if (result.kind !== 'transaction') throw new Error('a transaction stored another kind of result');
  return { results: result.results, replayed: true };
};

/**
 * The DynamoDB ClientRequestToken of one attempt of a keyed transaction.
 * The same key and request make the same tokens, so even a repeat the
 * idempotency record somehow missed cannot apply twice within the token's
 * window (10 minutes).
 */
export const requestTokenOf = (tenant: string, idem: IdempotencyRequest, attempt: number) =>
  createHash('sha256')
    .update([tenant, idem.key, idem.fingerprint, String(attempt)].join('\n'), 'utf8')
    .digest('hex')
    .slice(0, 32);

/** Whether the operation must be pinned to a version read before sending. */
const readsFirst = (p: PreparedOperation): boolean =>
  p.op === 'patch' || pinOf(p.condition) === undefined;

export const createTransactionEngine = ({
  store,
  now,
}: {
  store: ItemStore;
  now: () => number;
}) => ({
  /** Commits `operations` all together or not at all. */
  async execute(
    tenant: string,
    operations: readonly PreparedOperation[],
    options: ExecuteOptions = {},
  ): Promise<TransactionResult> {
    const idem = options.idempotency;
    const started = now();
    // Writes respect leases; a check does only when it names the caller's lease.
    const conditionOf = (p: PreparedOperation): WriteCondition =>
      p.op === 'check' && !p.lockToken
        ? p.condition
        : {
            ...p.condition,
            lease: { now: started, ...(p.lockToken ? { token: p.lockToken } : {}) },
          };
    /** The record each operation replaces, when known (read, or returned with a refusal). */
    const bases = new Map<number, Base>();
    const toRead = operations.filter(readsFirst);
    if (toRead.length > 0) {
      const snapshot = await store.snapshotMany(
        toRead.map((p) => p.key),
        idem ? { tenant, keyHash: hashIdempotencyKey(tenant, idem.key) } : undefined,
      );
      // A repeat of a keyed transaction that committed gets its answer, never
      // a conflict with its own writes.
      if (idem && snapshot.record && isLiveRecord(snapshot.record, started)) {
        return replayed(replayOf(snapshot.record, idem));
      }
      toRead.forEach((p, i) => {
        bases.set(p.index, { item: snapshot.items[i] });
      });
    }

    for (let attempt = 1; ; attempt++) {
      const at = now();
      const built = operations.map((p) =>
        buildOperation(p, conditionOf(p), bases.get(p.index), at, options.keyId),
      );
      const issues = built.flatMap((b) => (b.kind === 'invalid' ? b.issues : []));
      if (issues.length > 0) throw new ValidationError('the transaction is not valid', issues);
      const known = built.flatMap((b) => (b.kind === 'failed' ? [b.failure] : []));
      // When every operation was read, the read tells every failure: nothing to send.
      if (known.length > 0 && bases.size === operations.length) throw refusedWith(known);
      const parts: PlanPart[] = [];
      const mains: number[] = [];
      const results: OperationResult[] = [];
      for (const [i, b] of built.entries()) {
        mains.push(parts.length);
        if (b.kind === 'ready') {
          parts.push(...b.parts);
          results.push(b.result);
        } else {
          // Known to fail: a check that always fails keeps the transaction from
          // committing, while the others' conditions are evaluated all the same.
          const key = operations[i]?.key;
          if (key) parts.push({ kind: 'check', key, condition: {}, never: true });
        }
      }
      if (idem) {
        const result = { kind: 'transaction', results: sizeChecked(results) } as const;
        const record = idempotencyRecordOf(tenant, idem, result, at);
        parts.push({ kind: 'idempotency', tenant, record, now: Math.floor(at / 1000) });
      }
      if (options.closing) parts.push(options.closing.part(sizeChecked(results)));
      const plan = checkPlan({
        parts,
        ...(idem ? { requestToken: requestTokenOf(tenant, idem, attempt) } : {}),
      });
      try {
        const committed = await commitOrReplay(store, plan, idem);
        if (committed.kind === 'replayed') return replayed(committed.result);
        if (known.length > 0) throw new Error('a transaction with a refused part committed');
        return { results };
      } catch (error) {
        // Only others were in the way: what is known to fail still fails.
        if (known.length > 0 && error instanceof TransactionConflictError) throw refusedWith(known);
        // The idempotency record was judged first (commitOrReplay); then the closing record.
        if (!(error instanceof PlanRefusedError)) throw error;
        const closing = error.refusalOf(plan, 'staged-close');
        if (closing && options.closing) return options.closing.refused(closing);
        const refused: OperationFailure[] = [...known];
        const moved: Array<[PreparedOperation, StoredItem | undefined]> = [];
        operations.forEach((p, i) => {
          const refusal = error.refusals[mains[i] ?? -1];
          if (built[i]?.kind !== 'ready') return;
          if (refusal?.kind !== 'document' && refusal?.kind !== 'check') return;
          const failure = explainCondition(conditionOf(p), refusal.current, p.preconditions);
          if (failure) refused.push(failureOf(p, failure));
          else moved.push([p, refusal.current]);
        });
        if (refused.length > 0) throw refusedWith(refused);
        if (moved.length === 0) throw error;
        // Only pins failed: others wrote in between. Build again on what is there now.
        if (attempt >= WRITE_ATTEMPTS) {
          throw refusedWith(moved.map(([p, current]) => failureOf(p, keptChanging(current))));
        }
        for (const [p, current] of moved) bases.set(p.index, { item: current });
      }
    }
  },
});

export type TransactionEngine = ReturnType<typeof createTransactionEngine>;
