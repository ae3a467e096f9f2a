/**
 * An in-memory StagedStore for domain tests, with the closing of a commit
 * (the plan part) evaluated the way the table's conditions read: open,
 * unexpired, and holding exactly the operations the commit read.
 */
import {
  type StagedRecord,
  StagedRefusedError,
  type StagedStore,
} from '../../functions/core/staged-model';
import type { StagedClosePart } from '../../functions/core/write-plan';

export interface MemoryStagedStore extends StagedStore {
  /** Whether the closing part may apply; the record as it is when it may not. */
  closeRefusal(part: StagedClosePart): { current: StagedRecord | undefined } | undefined;
  applyClose(part: StagedClosePart): void;
  /** Changes a stored record directly, as time or another client would. */
  edit(tenant: string, id: string, change: Partial<StagedRecord>): void;
}

export const createMemoryStagedStore = (): MemoryStagedStore => {
  const records = new Map<string, StagedRecord>();
  const keyOf = (tenant: string, id: string) => JSON.stringify([tenant, id]);
  const open = (record: StagedRecord | undefined, now: number): record is StagedRecord =>
    record !== undefined && record.state === 'open' && record.deadline > now;
  const copy = (record: StagedRecord | undefined) => record && structuredClone(record);

  return {
    async begin(tenant, { id, deadline, createdAt }) {
      if (records.has(keyOf(tenant, id))) throw new Error('staged id reused');
      records.set(keyOf(tenant, id), {
        id,
        state: 'open',
        deadline,
        createdAt,
        operations: [],
        cost: 0,
      });
    },
    async add(tenant, id, { operation, document, cost, budget, now }) {
      const record = records.get(keyOf(tenant, id));
      const named = record?.operations.some(
        (op) => JSON.stringify([op.collection, op.id]) === document,
      );
      if (!open(record, now) || record.cost + cost > budget || named) {
        throw new StagedRefusedError(copy(record));
      }
      const operations = [...record.operations, structuredClone(operation)];
      records.set(keyOf(tenant, id), { ...record, operations, cost: record.cost + cost });
      return operations.length - 1;
    },
    async get(tenant, id) {
      return copy(records.get(keyOf(tenant, id)));
    },
    async abort(tenant, id, { now }) {
      const record = records.get(keyOf(tenant, id));
      if (!open(record, now)) throw new StagedRefusedError(copy(record));
      records.set(keyOf(tenant, id), { ...record, state: 'aborted', operations: [] });
    },
    closeRefusal(part) {
      const record = records.get(keyOf(part.tenant, part.txId));
      return open(record, part.now) && record.operations.length === part.count
        ? undefined
        : { current: copy(record) };
    },
    applyClose(part) {
      const record = records.get(keyOf(part.tenant, part.txId));
      if (!record) throw new Error('closing a missing staged transaction');
      records.set(keyOf(part.tenant, part.txId), {
        ...record,
        state: 'committed',
        operations: [],
        results: structuredClone(part.result),
      });
    },
    edit(tenant, id, change) {
      const record = records.get(keyOf(tenant, id));
      if (!record) throw new Error('editing a missing staged transaction');
      records.set(keyOf(tenant, id), { ...record, ...change });
    },
  };
};
