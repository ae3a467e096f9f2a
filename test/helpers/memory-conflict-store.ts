/**
 * An in-memory ConflictStore for domain tests; a resolution (the plan part)
 * applies only to an open record, the way the table's condition reads.
 */
import type { ConflictRecord, ConflictStore } from '../../functions/core/conflicts-model';
import type { ConflictResolvePart } from '../../functions/core/write-plan';

export interface MemoryConflictStore extends ConflictStore {
  resolveRefusal(part: ConflictResolvePart): { current: ConflictRecord | undefined } | undefined;
  applyResolve(part: ConflictResolvePart): void;
}

export const createMemoryConflictStore = (): MemoryConflictStore => {
  const records = new Map<string, ConflictRecord>();
  const keyOf = (tenant: string, id: string) => JSON.stringify([tenant, id]);
  const copy = <T>(value: T): T => structuredClone(value);
  return {
    async record(tenant, record) {
      if (records.has(keyOf(tenant, record.id))) throw new Error('conflict id reused');
      records.set(keyOf(tenant, record.id), copy(record));
    },
    async get(tenant, id) {
      return copy(records.get(keyOf(tenant, id)));
    },
    async list(tenant, query) {
      const all = [...records.entries()]
        .filter(([key]) => JSON.parse(key)[0] === tenant)
        .map(([, record]) => record)
        .filter(
          (r) =>
            r.expiresAt > query.now &&
            (query.after === undefined || r.id > query.after) &&
            (query.since === undefined || Date.parse(r.time) >= query.since) &&
            (query.collection === undefined || r.collection === query.collection) &&
            (query.documentId === undefined || r.documentId === query.documentId) &&
            (query.status === undefined || r.status === query.status),
        )
        .sort((a, b) => (a.id < b.id ? -1 : 1));
      const page = all.slice(0, query.limit);
      const last = page[page.length - 1];
      return {
        records: page.map(copy),
        ...(all.length > query.limit && last ? { after: last.id } : {}),
      };
    },
    resolveRefusal(part) {
      const found = records.get(keyOf(part.tenant, part.conflictId));
      return found?.status === 'open' ? undefined : { current: found && copy(found) };
    },
    applyResolve(part) {
      const key = keyOf(part.tenant, part.conflictId);
      const found = records.get(key);
      if (found) records.set(key, { ...found, status: 'resolved', resolution: part.resolution });
    },
  };
};
