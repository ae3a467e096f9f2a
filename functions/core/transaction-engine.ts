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
import {
  type DomainError,
  TransactionConflictError,
  UniqueViolationError,
  ValidationError,
} from './errors';
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
import { mergeGuards } from './transaction-guards';
import type { OperationResult, TransactionResult } from './transaction-model';
import type { PreparedOperation } from './transaction-operations';
import {
  type Base,
  buildOperation,
  failureOf,
  keptChanging,
  refusedWith,
  sizeChecked,
  uniqueFieldsOf,
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

/**
 * Whether the operation must be pinned to a version read before sending: a
 * patch applies to the current document, a condition may name no single
 * version, and a write that may release unique values must know the old ones
 * (only a create has none).
 */
const readsFirst = (p: PreparedOperation): boolean => {
  const pin = pinOf(p.condition);
  if (p.op === 'patch' || pin === undefined) return true;
  return p.op !== 'check' && uniqueFieldsOf(p).length > 0 && pin !== null;
};

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
    /** Per operation, unique fields whose old value another document holds. */
    const skipRelease = operations.map(() => new Set<string>());
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
      const built = mergeGuards(
        operations,
        operations.map((p, i) =>
          buildOperation(p, conditionOf(p), bases.get(p.index), at, options.keyId, skipRelease[i]),
        ),
      );
      const issues = built.flatMap((b) => (b.kind === 'invalid' ? b.issues : []));
      if (issues.length > 0) throw new ValidationError('the transaction is not valid', issues);
      const known = built.flatMap((b) => (b.kind === 'failed' ? [b.failure] : []));
      // When every operation was read, the read tells every failure: nothing to send.
      if (known.length > 0 && bases.size === operations.length) throw refusedWith(known);
      const parts: PlanPart[] = [];
      /** The operation each part belongs to. */
      const owners: number[] = [];
      const results: OperationResult[] = [];
      for (const [i, b] of built.entries()) {
        const key = operations[i]?.key;
        // Known to fail: a check that always fails keeps the transaction from
        // committing, while the others' conditions are evaluated all the same.
        const own: PlanPart[] =
          b.kind === 'ready'
            ? [...b.parts]
            : key
              ? [{ kind: 'check', key, condition: {}, never: true }]
              : [];
        parts.push(...own);
        owners.push(...own.map(() => i));
        if (b.kind === 'ready') results.push(b.result);
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
        const failed = new Map<number, DomainError>(known.map((f) => [f.index, f.error]));
        const moved = new Map<number, StoredItem | undefined>();
        let released = false;
        // Documents first: an operation whose own condition failed is explained by it.
        for (const [i, refusal] of error.refusals.entries()) {
          const p = operations[owners[i] ?? -1];
          if (!p || failed.has(p.index)) continue;
          if (refusal?.kind !== 'document' && refusal?.kind !== 'check') continue;
          const failure = explainCondition(conditionOf(p), refusal.current, p.preconditions);
          if (failure) failed.set(p.index, failure);
          else moved.set(p.index, refusal.current);
        }
        for (const [i, refusal] of error.refusals.entries()) {
          const p = operations[owners[i] ?? -1];
          const part = parts[i];
          if (!p || failed.has(p.index) || moved.has(p.index)) continue;
          if (refusal?.kind === 'unique-claim' && part?.kind === 'unique-claim') {
            const message = `another document holds this value of "${part.field}"`;
            failed.set(p.index, new UniqueViolationError(message, part.field, refusal.owner));
          }
          // An old value another document holds (written before the field was
          // unique) is not ours to release: leave its guard alone.
          if (refusal?.kind === 'unique-release' && part?.kind === 'unique-release') {
            skipRelease[p.index]?.add(part.field);
            released = true;
          }
        }
        if (failed.size > 0) {
          throw refusedWith(
            [...failed].flatMap(([index, failure]) => {
              const p = operations[index];
              return p ? [failureOf(p, failure)] : [];
            }),
          );
        }
        if (moved.size === 0 && !released) throw error;
        // Only pins failed: others wrote in between. Build again on what is there now.
        if (attempt >= WRITE_ATTEMPTS && moved.size === 0) {
          throw new TransactionConflictError(
            'the unique values of these documents kept changing; nothing was written, retry',
          );
        }
        if (attempt >= WRITE_ATTEMPTS) {
          throw refusedWith(
            [...moved].flatMap(([index, current]) => {
              const p = operations[index];
              return p ? [failureOf(p, keptChanging(current))] : [];
            }),
          );
        }
        for (const [index, current] of moved) bases.set(index, { item: current });
      }
    }
  },
});

export type TransactionEngine = ReturnType<typeof createTransactionEngine>;
