/**
 * How large a transaction may be. Every operation becomes DynamoDB actions
 * in ONE TransactWriteItems, which holds at most 100. The limit is counted
 * from the worst case of each operation, so whether a transaction fits
 * never depends on the documents' current versions or values:
 *
 * - a check is one ConditionCheck;
 * - a write is its document, its version's history entry, and the deletion
 *   of the entry history retention drops (once a document has more versions
 *   than `keepVersions`); plus, per unique field of its collection, the
 *   claim of the new value and the release of the old one.
 *
 * One action is kept for the record that makes the transaction retry-safe:
 * the Idempotency-Key record of a one-shot transaction, or the staged
 * transaction's own record on commit.
 */
import type { Collection } from './collections';
import { MAX_DOCUMENT_BYTES } from './limits';
import type { OperationName } from './transaction-model';
import { MAX_PLAN_PARTS } from './write-plan';

/** Actions the operations of one transaction may need together. */
export const OPERATION_ACTION_BUDGET = MAX_PLAN_PARTS - 1;

/** Actions of one check. */
export const CHECK_ACTIONS = 1;
/** Actions of one write at most: document, history entry, history entry dropped. */
export const WRITE_ACTIONS = 3;
/** Actions one unique field adds to a write at most: claim the new value, release the old. */
export const UNIQUE_FIELD_ACTIONS = 2;

/** The most writes one transaction may hold (33, in collections without unique fields). */
export const MAX_TRANSACTION_WRITES = Math.floor(OPERATION_ACTION_BUDGET / WRITE_ACTIONS);
/** The most checks one transaction may hold (99). */
export const MAX_TRANSACTION_CHECKS = Math.floor(OPERATION_ACTION_BUDGET / CHECK_ACTIONS);

/**
 * Largest stored answer of a transaction (its results, documents included),
 * kept in one record to answer a retry: what fits one DynamoDB item.
 */
export const MAX_STORED_RESULT_BYTES = MAX_DOCUMENT_BYTES;

/** The actions one operation may need at most. */
export const actionsOf = (op: OperationName, collection: Collection): number =>
  op === 'check'
    ? CHECK_ACTIONS
    : WRITE_ACTIONS + UNIQUE_FIELD_ACTIONS * (collection.config.unique?.length ?? 0);

/** The rule as the 422 states it. */
export const budgetRule = (): string =>
  `a transaction may need at most ${OPERATION_ACTION_BUDGET} actions: ` +
  `${WRITE_ACTIONS} per write and ${UNIQUE_FIELD_ACTIONS} more per unique field of its collection, ` +
  `${CHECK_ACTIONS} per check (at most ${MAX_TRANSACTION_WRITES} writes, or ${MAX_TRANSACTION_CHECKS} checks)`;
