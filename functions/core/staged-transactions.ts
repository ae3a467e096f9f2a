/**
 * Staged transactions, for clients that assemble a change over several
 * calls: begin (an id and an expiry), add operations one at a time (each
 * checked as it is added, its precondition captured as the ETag the client
 * read), read the state, then commit or abort.
 *
 * The record lives in DynamoDB, so it holds across Lambda instances, and
 * every change of it is one conditional write: an operation is appended
 * only while the transaction is open, unexpired, has room for it and does
 * not name its document yet. The commit is the one-shot transaction's
 * commit with one more part, which closes the record with the results: it
 * commits only if no operation was added meanwhile, every precondition is
 * checked again at that moment, and a second commit answers the first
 * result from the closed record.
 */
import { randomBytes } from 'node:crypto';
import { checkId } from './documents';
import {
  BadRequestError,
  type DomainError,
  NotFoundError,
  TransactionClosedError,
  TransactionConflictError,
  TransactionExpiredError,
  ValidationError,
  type ValidationIssue,
} from './errors';
import type { ItemStore } from './items-model';
import { type StagedRecord, StagedRefusedError } from './staged-model';
import { createStagedReads, readStaged, type StagedView } from './staged-reads';
import { actionsOf, budgetRule, OPERATION_ACTION_BUDGET } from './transaction-limits';
import type { TransactionOperation, TransactionResult } from './transaction-model';
import { documentOf, prepareOperation, prepareOperations } from './transaction-operations';
import type { TransactionService } from './transactions';

export type { StagedView } from './staged-reads';

export const DEFAULT_STAGED_SECONDS = 300;
export const MAX_STAGED_SECONDS = 3_600;
/** How long a closed or expired transaction is kept, so its id keeps a clear answer. */
export const KEEP_CLOSED_SECONDS = 24 * 60 * 60;

/** Why a staged transaction takes no more changes; undefined while it does. */
const closedBecause = (record: StagedRecord | undefined, at: number): DomainError | undefined => {
  if (!record) return new NotFoundError('no such staged transaction');
  if (record.state !== 'open') {
    return new TransactionClosedError(`the transaction was ${record.state}`, record.state);
  }
  if (record.deadline <= at) {
    return new TransactionExpiredError(
      `the transaction expired at ${new Date(record.deadline).toISOString()}`,
      record.deadline,
    );
  }
  return undefined;
};

const ttlOf = (ttlSeconds: number | undefined): number => {
  const ttl = ttlSeconds ?? DEFAULT_STAGED_SECONDS;
  if (!Number.isSafeInteger(ttl) || ttl < 1 || ttl > MAX_STAGED_SECONDS) {
    throw new BadRequestError(`ttlSeconds must be an integer from 1 to ${MAX_STAGED_SECONDS}`);
  }
  return ttl;
};

export const createStagedTransactionService = ({
  transactions,
  store,
  now = Date.now,
  newTxId = () => randomBytes(16).toString('base64url'),
}: {
  transactions: TransactionService;
  store: ItemStore;
  now?: () => number;
  newTxId?: () => string;
}) => {
  const staged = store.staged;
  const keepUntil = (at: number) => Math.ceil(at / 1000) + KEEP_CLOSED_SECONDS;

  const read = (tenant: string, id: string): Promise<StagedRecord> =>
    readStaged(staged, tenant, id);

  return {
    /** Opens a transaction that takes operations for `ttlSeconds` (default 300). */
    async begin(tenant: string, ttlSeconds?: number): Promise<StagedView> {
      const deadline = now() + ttlOf(ttlSeconds) * 1000;
      const record = { id: newTxId(), deadline, createdAt: new Date(now()).toISOString() };
      await staged.begin(tenant, { ...record, keepUntil: keepUntil(deadline) });
      return { id: record.id, state: 'open', expiresAt: deadline, operations: [] };
    },

    ...createStagedReads({ store, now }),

    /** Checks one operation and appends it: one conditional write, no read. */
    async add(
      tenant: string,
      id: string,
      operation: TransactionOperation,
    ): Promise<{ index: number; operation: TransactionOperation }> {
      checkId(id);
      const issues: ValidationIssue[] = [];
      const context = transactions.contextOf(tenant);
      const prepared = prepareOperation(context, operation, 0, '', issues);
      if (!prepared) throw new ValidationError('the operation is not valid', issues);
      const cost = actionsOf(prepared.op, prepared.collection);
      const document = documentOf(prepared.key);
      const at = now();
      try {
        const index = await staged.add(tenant, id, {
          operation: prepared.source,
          document,
          cost,
          budget: OPERATION_ACTION_BUDGET,
          now: at,
        });
        return { index, operation: prepared.source };
      } catch (error) {
        if (!(error instanceof StagedRefusedError)) throw error;
        const current = error.current;
        const closed = closedBecause(current, at);
        if (closed) throw closed;
        const first = current?.operations.findIndex(
          (op) => op.collection === prepared.key.collection && op.id === prepared.key.id,
        );
        if (first !== undefined && first >= 0) {
          throw new ValidationError('the operation is not valid', [
            {
              pointer: '/id',
              message: `operation ${first} names this document already: a transaction changes each document once`,
            },
          ]);
        }
        throw new ValidationError('the transaction is full', [
          {
            pointer: '',
            message: `${budgetRule()}; it needs ${current?.cost ?? 0} already, and this operation ${cost}`,
          },
        ]);
      }
    },

    /**
     * Commits every operation as one transaction, preconditions checked
     * again now; committing again answers the first commit's results.
     */
    async commit(
      tenant: string,
      id: string,
      options: { keyId?: string | undefined } = {},
    ): Promise<TransactionResult> {
      const record = await read(tenant, id);
      if (record.state === 'committed') return { results: record.results ?? [], replayed: true };
      const at = now();
      const closed = closedBecause(record, at);
      if (closed) throw closed;
      const prepared = prepareOperations(transactions.contextOf(tenant), record.operations);
      return transactions.recordingConflicts(tenant, record.operations, options.keyId, () =>
        transactions.engine.execute(tenant, prepared, {
          keyId: options.keyId,
          closing: {
            part: (results) => ({
              kind: 'staged-close',
              tenant,
              txId: id,
              count: record.operations.length,
              now: at,
              result: results,
              keepUntil: keepUntil(at),
            }),
            refused: ({ current }) => {
              // Another commit of the same transaction came first: its answer is ours.
              if (current?.state === 'committed') {
                return { results: current.results ?? [], replayed: true };
              }
              const because = closedBecause(current, at);
              if (because) throw because;
              throw new TransactionConflictError(
                'operations were added while the transaction was committed; commit again',
              );
            },
          },
        }),
      );
    },

    /** Aborts an open transaction; aborting it again is fine. */
    async abort(tenant: string, id: string): Promise<void> {
      checkId(id);
      const at = now();
      try {
        await staged.abort(tenant, id, { now: at, keepUntil: keepUntil(at) });
      } catch (error) {
        if (!(error instanceof StagedRefusedError)) throw error;
        if (error.current?.state === 'aborted') return;
        throw closedBecause(error.current, at) ?? error;
      }
    },
  };
};

export type StagedTransactionService = ReturnType<typeof createStagedTransactionService>;
