/**
 * Staged transactions as stored: one record per transaction, holding its
 * operations until it is committed (then its results) or aborted. Every
 * change of the record is one conditional write, so the record is the same
 * for every Lambda instance and two changes never interleave.
 */
import type { OperationResult, TransactionOperation } from './transaction-model';

export type StagedState = 'open' | 'committed' | 'aborted';

/** The results a committed transaction keeps, to answer a repeated commit. */
export type StagedResult = readonly OperationResult[];

export interface StagedRecord {
  readonly id: string;
  readonly state: StagedState;
  /** Epoch milliseconds after which an open transaction takes no more changes. */
  readonly deadline: number;
  /** ISO time of the begin. */
  readonly createdAt: string;
  /** The operations in the order they were added (dropped once the transaction closes). */
  readonly operations: readonly TransactionOperation[];
  /** Actions the operations need in the commit's transaction (see transaction-limits.ts). */
  readonly cost: number;
  /** Set once committed. */
  readonly results?: StagedResult;
}

/**
 * A refused change of a staged record, carrying the record as it was when
 * the condition was evaluated (undefined when there is none).
 */
export class StagedRefusedError extends Error {
  constructor(readonly current: StagedRecord | undefined) {
    super('staged transaction change refused');
    this.name = 'StagedRefusedError';
  }
}

/** What one added operation brings along, besides itself. */
export interface StagedAddition {
  readonly operation: TransactionOperation;
  /** The document it names, as one string: a transaction names each document once. */
  readonly document: string;
  readonly cost: number;
  /** Actions a transaction may hold: refused when the operation would not fit. */
  readonly budget: number;
  /** Epoch milliseconds. */
  readonly now: number;
}

/**
 * The storage port of staged transactions. Each method is one request; the
 * commit itself is a part of the commit's plan (`StagedClosePart`).
 */
export interface StagedStore {
  /** Stores a new open transaction. */
  begin(
    tenant: string,
    record: { id: string; deadline: number; createdAt: string; keepUntil: number },
  ): Promise<void>;
  /**
   * Appends an operation if the transaction is open, unexpired, does not name
   * the document yet and has room for it; returns its position. Throws
   * {@link StagedRefusedError} otherwise.
   */
  add(tenant: string, id: string, addition: StagedAddition): Promise<number>;
  /** Strongly consistent read. */
  get(tenant: string, id: string): Promise<StagedRecord | undefined>;
  /**
   * Aborts an open, unexpired transaction, keeping the record until
   * `keepUntil` (epoch seconds). Throws {@link StagedRefusedError} otherwise.
   */
  abort(tenant: string, id: string, change: { now: number; keepUntil: number }): Promise<void>;
}
