/**
 * One-shot transactions: a list of creates, replaces, patches, deletes and
 * checks that commit all together or not at all, in one DynamoDB
 * TransactWriteItems (after one read when some operation needs the current
 * document). Retry-safe with an Idempotency-Key: the answer is stored in the
 * same transaction.
 */
import { createCollections } from './collections';
import type { ConcordConfig } from './config';
import { createConflictInbox } from './conflicts';
import type { ValidationIssue } from './errors';
import type { IdempotencyRequest } from './idempotency';
import type { ItemStore } from './items-model';
import { createTransactionEngine } from './transaction-engine';
import type { TransactionOperation, TransactionResult } from './transaction-model';
import { type PrepareContext, prepareOperations } from './transaction-operations';
import { ulid } from './ulid';

export interface TransactionServiceOptions {
  readonly config: ConcordConfig;
  readonly store: ItemStore;
  /** Makes ids for creates without one. */
  readonly newId?: () => string;
  /** Epoch milliseconds: the time of writes, and of lease expiry. */
  readonly now?: () => number;
}

export interface TransactionOptions {
  /** Makes the transaction retry-safe: a repeat answers with the first result. */
  readonly idempotency?: IdempotencyRequest | undefined;
  /** The API key the transaction comes through, for the history entries. */
  readonly keyId?: string | undefined;
  /** Problems of operations the request layer could not read (those operations are undefined). */
  readonly unreadable?: readonly ValidationIssue[];
}

export const createTransactionService = ({
  config,
  store,
  newId = ulid,
  now = Date.now,
}: TransactionServiceOptions) => {
  const collection = createCollections(config);
  const engine = createTransactionEngine({ store, now });
  const inbox = createConflictInbox({
    store: store.conflicts,
    now,
    retentionDays: config.conflicts.retentionDays,
  });
  const contextOf = (tenant: string): PrepareContext => ({ tenant, collection, newId });

  return {
    /** The declared collections with their compiled schemas, for services beside this one. */
    collection,
    /** How operations of `tenant` are checked, for the staged transactions. */
    contextOf,
    engine,
    /** Records the version conflicts of a refused transaction, then refuses it as before. */
    async recordingConflicts<T>(
      tenant: string,
      operations: readonly (TransactionOperation | undefined)[],
      keyId: string | undefined,
      run: () => Promise<T>,
    ): Promise<T> {
      try {
        return await run();
      } catch (error) {
        await inbox.recordTransaction(tenant, operations, error, keyId);
        throw error;
      }
    },
    /**
     * Checks every operation (422 listing each problem), then commits them
     * all or none (409 transaction-conflict listing each refused operation).
     */
    async run(
      tenant: string,
      operations: readonly (TransactionOperation | undefined)[],
      options: TransactionOptions = {},
    ): Promise<TransactionResult> {
      const prepared = prepareOperations(contextOf(tenant), operations, options.unreadable);
      return this.recordingConflicts(tenant, operations, options.keyId, () =>
        engine.execute(tenant, prepared, options),
      );
    },
  };
};

export type TransactionService = ReturnType<typeof createTransactionService>;
