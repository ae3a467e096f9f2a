/**
 * Reading a staged transaction: what the read function serves, without the
 * code that checks, adds and commits operations (staged-transactions.ts).
 */
import { checkId } from './documents';
import { NotFoundError } from './errors';
import type { ItemStore } from './items-model';
import type { StagedRecord, StagedState } from './staged-model';
import type { OperationResult, TransactionOperation } from './transaction-model';

/** A staged transaction as clients see it. */
export interface StagedView {
  readonly id: string;
  /** `expired`: still open in the table, but past its expiry. */
  readonly state: StagedState | 'expired';
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  /** The operations added so far (none once it is closed). */
  readonly operations: readonly TransactionOperation[];
  /** The results of the commit, once committed. */
  readonly results?: readonly OperationResult[];
}

/** The view of a record at `at` (epoch milliseconds). */
export const stagedViewOf = (record: StagedRecord, at: number): StagedView => ({
  id: record.id,
  state: record.state === 'open' && record.deadline <= at ? 'expired' : record.state,
  expiresAt: record.deadline,
  operations: record.operations,
  ...(record.results ? { results: record.results } : {}),
});

/** The tenant's staged transaction `id`; NotFoundError when there is none. */
export const readStaged = async (
  staged: ItemStore['staged'],
  tenant: string,
  id: string,
): Promise<StagedRecord> => {
  checkId(id);
  const record = await staged.get(tenant, id);
  if (!record) throw new NotFoundError('no such staged transaction');
  return record;
};

/** Reads staged transactions. */
export const createStagedReads = ({
  store,
  now = Date.now,
}: {
  store: ItemStore;
  now?: () => number;
}) => ({
  async get(tenant: string, id: string): Promise<StagedView> {
    return stagedViewOf(await readStaged(store.staged, tenant, id), now());
  },
});

export type StagedReads = ReturnType<typeof createStagedReads>;
