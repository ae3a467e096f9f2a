/**
 * An in-memory ItemStore for domain tests. It evaluates WriteCondition with
 * its own code (not the domain's explainCondition), so the domain is checked
 * against an independent reading of the storage contract: a tombstone counts
 * as absent, versions keep counting after a delete, and a refused write throws
 * ConditionFailedError carrying the item as it was.
 */
import {
  type IdempotencyRecord,
  IdempotencyRecordExistsError,
} from '../../functions/core/idempotency';
import {
  ConditionFailedError,
  type ItemKey,
  type ItemStore,
  type JsonObject,
  type ListPage,
  type LockToken,
  type StoredItem,
  type WriteCondition,
} from '../../functions/core/items-model';

const keyOf = (tenant: string, collection: string, id: string): string =>
  JSON.stringify([tenant, collection, id]);

/** Mirrors what the table condition means, one clause at a time. */
const holds = (condition: WriteCondition, current: StoredItem | undefined): boolean => {
  const live = current !== undefined && current.deleted === false;
  if (condition.mustExist === true && !live) return false;
  if (condition.mustBeAbsent === true && live) return false;
  if (condition.versionIn !== undefined) {
    if (current === undefined) return false;
    if (!condition.versionIn.some((v) => v === current.version)) return false;
  }
  if (condition.modifiedBefore !== undefined && live) {
    if (current.updatedAt >= condition.modifiedBefore) return false;
  }
  if (condition.versionNotIn !== undefined && live) {
    if (condition.versionNotIn.some((v) => v === current.version)) return false;
  }
  if (condition.lease && current !== undefined) {
    const { now: at, token } = condition.lease;
    const free = current.lease === undefined || current.lease.expiresAt <= at;
    if (token) {
      if ((current.fencing ?? 0) !== token.fencing) return false;
      if (!free && current.lease?.leaseId !== token.leaseId) return false;
    } else if (!free) return false;
  }
  if (condition.expectedVersion === null && current !== undefined) return false;
  if (
    typeof condition.expectedVersion === 'number' &&
    current?.version !== condition.expectedVersion
  ) {
    return false;
  }
  return true;
};

const clone = <T>(value: T): T => structuredClone(value);

export interface MemoryItemStore extends ItemStore {
  /** Every stored record, tombstones included, for assertions. */
  readonly records: () => StoredItem[];
  /** Number of write calls (successful or refused). */
  readonly writes: () => number;
}

export const createMemoryItemStore = (
  now: () => string = () => '2024-01-01T00:00:00.000Z',
): MemoryItemStore => {
  const items = new Map<string, { tenant: string; collection: string; item: StoredItem }>();
  const idempotency = new Map<string, IdempotencyRecord>();
  let writeCount = 0;

  const tokenHolds = (c: StoredItem, token: LockToken) =>
    c.lease?.leaseId === token.leaseId && c.fencing === token.fencing;
  const leaseWrite = async (
    { tenant, collection, id }: ItemKey,
    allowed: (current: StoredItem) => boolean,
    change: (current: StoredItem) => StoredItem,
  ): Promise<StoredItem> => {
    const key = keyOf(tenant, collection, id);
    const current = items.get(key)?.item;
    if (!current || current.deleted || !allowed(current)) {
      throw new ConditionFailedError(current ? clone(current) : undefined);
    }
    const item = change(current);
    items.set(key, { tenant, collection, item });
    return clone(item);
  };

  const store: MemoryItemStore = {
    async get({ tenant, collection, id }: ItemKey) {
      const found = items.get(keyOf(tenant, collection, id));
      return found ? clone(found.item) : undefined;
    },

    async write({ tenant, collection, id }: ItemKey, body: JsonObject | null, condition) {
      writeCount++;
      const key = keyOf(tenant, collection, id);
      const current = items.get(key)?.item;
      if (!holds(condition, current)) {
        throw new ConditionFailedError(current ? clone(current) : undefined);
      }
      const item: StoredItem = {
        id,
        version: (current?.version ?? 0) + 1,
        deleted: body === null,
        body: body === null ? {} : clone(body),
        updatedAt: now(),
        // A tombstone ends the lease; the fencing token stays.
        ...(body !== null && current?.lease ? { lease: current.lease } : {}),
        ...(current?.fencing ? { fencing: current.fencing } : {}),
      };
      items.set(key, { tenant, collection, item });
      return { item: clone(item), existed: current !== undefined && !current.deleted };
    },

    async list(tenant, collection, { limit, cursor }): Promise<ListPage> {
      const after = cursor === undefined ? undefined : Buffer.from(cursor, 'base64url').toString();
      const live = [...items.values()]
        .filter((r) => r.tenant === tenant && r.collection === collection && !r.item.deleted)
        .map((r) => r.item)
        .filter((item) => after === undefined || item.id > after)
        .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
      const page = live.slice(0, limit);
      const last = page[page.length - 1];
      return {
        items: page.map(clone),
        ...(live.length > limit && last
          ? { cursor: Buffer.from(last.id).toString('base64url') }
          : {}),
      };
    },

    async writeIdempotently(key, body, condition, record) {
      if (condition.expectedVersion === undefined)
        throw new Error('an idempotent write must be pinned');
      const recordKey = JSON.stringify([key.tenant, record.keyHash]);
      const existing = idempotency.get(recordKey);
      const current = items.get(keyOf(key.tenant, key.collection, key.id))?.item;
      // Both parts or neither, as in a transaction.
      if (!holds(condition, current)) {
        writeCount++;
        throw new ConditionFailedError(current ? clone(current) : undefined);
      }
      if (existing && existing.expiresAt * 1000 > Date.parse(now())) {
        throw new IdempotencyRecordExistsError();
      }
      await store.write(key, body, condition);
      idempotency.set(recordKey, clone(record));
    },

    async acquireLease(key, leaseId, expiresAt, at) {
      return leaseWrite(
        key,
        (c) => c.lease === undefined || c.lease.expiresAt <= at,
        (c) => {
          const fencing = (c.fencing ?? 0) + 1;
          return { ...c, fencing, lease: { leaseId, expiresAt, fencing } };
        },
      );
    },
    async renewLease(key, token, expiresAt, at) {
      return leaseWrite(
        key,
        (c) => tokenHolds(c, token) && c.lease !== undefined && c.lease.expiresAt > at,
        (c) => ({
          ...c,
          lease: { leaseId: token.leaseId, fencing: token.fencing, expiresAt },
        }),
      );
    },
    async releaseLease(key, token) {
      return leaseWrite(
        key,
        (c) => tokenHolds(c, token),
        ({ lease: _ended, ...rest }) => rest,
      );
    },

    async readIdempotency(tenant, keyHash) {
      const record = idempotency.get(JSON.stringify([tenant, keyHash]));
      return record && record.expiresAt * 1000 > Date.parse(now()) ? clone(record) : undefined;
    },

    records: () => [...items.values()].map((r) => clone(r.item)),
    writes: () => writeCount,
  };
  return store;
};
