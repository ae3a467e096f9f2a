/**
 * An in-memory ItemStore for domain tests. It evaluates plans with its own
 * code (not the domain's explainCondition), so the domain is checked against
 * an independent reading of the storage contract: a plan commits whole or
 * not at all; every refused part is reported with the record as it was; a
 * tombstone counts as absent and versions keep counting after a delete; a
 * version's history entry is written once; a unique value is claimed and
 * released only by the document that holds it; an idempotency record is
 * refused until it expires.
 */
import type { HistoryEntry } from '../../functions/core/history';
import type { IdempotencyRecord } from '../../functions/core/idempotency';
import type {
  ItemKey,
  ItemStore,
  JsonObject,
  ListPage,
  StoredItem,
  WriteCondition,
} from '../../functions/core/items-model';
import {
  type CommitResult,
  type DocumentPart,
  type LeasePart,
  type PartRefusal,
  type PlanPart,
  PlanRefusedError,
  type UniqueGuard,
  type WritePlan,
  writtenVersion,
} from '../../functions/core/write-plan';
import { createMemoryConflictStore, type MemoryConflictStore } from './memory-conflict-store';
import { createMemoryStagedStore, type MemoryStagedStore } from './memory-staged-store';

const keyOf = ({ tenant, collection, id }: ItemKey): string =>
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

/** Whether a lease change may apply to the record as it is. */
const leaseHolds = ({ change }: LeasePart, current: StoredItem | undefined): boolean => {
  if (!current || current.deleted) return false;
  if (change.op === 'acquire') {
    const free = current.lease === undefined || current.lease.expiresAt <= change.now;
    const pinned = change.fencing === undefined || (current.fencing ?? 0) === change.fencing - 1;
    return free && pinned;
  }
  const holds =
    current.lease?.leaseId === change.token.leaseId && current.fencing === change.token.fencing;
  // A renewal needs the lease to last still; a release may end an expired one.
  return change.op === 'renew' ? holds && (current.lease?.expiresAt ?? 0) > change.now : holds;
};

const clone = <T>(value: T): T => structuredClone(value);

export interface MemoryItemStore extends ItemStore {
  /** Every stored document record, tombstones included, for assertions. */
  readonly records: () => StoredItem[];
  /** The versions of a document that have a history entry, oldest first. */
  readonly historyOf: (key: ItemKey) => number[];
  /** Number of commit calls (successful or refused). */
  readonly commits: () => number;
  /** Number of reads (get and snapshot calls). */
  readonly reads: () => number;
  /** Writes the next version of a document directly, as if another client did; not counted. */
  readonly seed: (key: ItemKey, body: JsonObject | null) => StoredItem;
  readonly staged: MemoryStagedStore;
  readonly conflicts: MemoryConflictStore;
}

export const createMemoryItemStore = (
  now: () => string = () => '2024-01-01T00:00:00.000Z',
): MemoryItemStore => {
  const items = new Map<string, { key: ItemKey; item: StoredItem }>();
  const idempotency = new Map<string, IdempotencyRecord>();
  const history = new Map<string, HistoryEntry>();
  /** Unique-value guards: the id of the document holding each value. */
  const guards = new Map<string, string>();
  const guardKey = ({ key, field, valueHash }: UniqueGuard) =>
    JSON.stringify([key.tenant, key.collection, field, valueHash]);
  const entryKey = (key: ItemKey, version: number) => JSON.stringify([keyOf(key), version]);
  let commitCount = 0;
  let readCount = 0;
  const staged = createMemoryStagedStore();
  const conflicts = createMemoryConflictStore();

  const current = (key: ItemKey) => items.get(keyOf(key))?.item;
  const recordKey = (tenant: string, keyHash: string) => JSON.stringify([tenant, keyHash]);

  const writeDocument = (
    key: ItemKey,
    body: JsonObject | null,
    updatedAt: string,
    version = (current(key)?.version ?? 0) + 1,
  ) => {
    const before = current(key);
    const item: StoredItem = {
      id: key.id,
      version,
      deleted: body === null,
      body: body === null ? {} : clone(body),
      updatedAt,
      // A tombstone ends the lease; the fencing token stays.
      ...(body !== null && before?.lease ? { lease: before.lease } : {}),
      ...(before?.fencing ? { fencing: before.fencing } : {}),
    };
    items.set(keyOf(key), { key, item });
    return item;
  };

  const refusalOf = (part: PlanPart): PartRefusal | undefined => {
    switch (part.kind) {
      case 'document': {
        const found = current(part.key);
        return holds(part.condition, found)
          ? undefined
          : { kind: 'document', current: found && clone(found) };
      }
      case 'lease': {
        const found = current(part.key);
        return leaseHolds(part, found)
          ? undefined
          : { kind: 'lease', current: found && clone(found) };
      }
      case 'history':
        return history.has(entryKey(part.key, part.entry.version))
          ? { kind: 'history' }
          : undefined;
      case 'history-drop':
        return undefined;
      case 'unique-claim':
      case 'unique-release': {
        const owner = guards.get(guardKey(part));
        // Free, or this document's already: otherwise another document holds the value.
        // A claim may take it over from the document that releases it in the same plan.
        const from = part.kind === 'unique-claim' ? part.from : undefined;
        return owner === undefined || owner === part.key.id || owner === from
          ? undefined
          : { kind: part.kind, owner };
      }
      case 'idempotency': {
        const existing = idempotency.get(recordKey(part.tenant, part.record.keyHash));
        return existing && existing.expiresAt >= part.now
          ? { kind: 'idempotency', record: clone(existing) }
          : undefined;
      }
      case 'check': {
        const found = current(part.key);
        return !part.never && holds(part.condition, found)
          ? undefined
          : { kind: 'check', current: found && clone(found) };
      }
      case 'staged-close': {
        const refused = staged.closeRefusal(part);
        return refused && { kind: 'staged-close', current: refused.current };
      }
      case 'conflict-resolve': {
        const refused = conflicts.resolveRefusal(part);
        return refused && { kind: 'conflict-resolve', current: refused.current };
      }
    }
  };

  const applyDocument = (part: DocumentPart) =>
    writeDocument(part.key, part.body, part.at, writtenVersion(part));

  const applyLease = ({ key, change }: LeasePart): StoredItem => {
    const before = current(key);
    if (!before) throw new Error('lease on a missing document');
    let item: StoredItem;
    if (change.op === 'acquire') {
      const fencing = change.fencing ?? (before.fencing ?? 0) + 1;
      item = {
        ...before,
        fencing,
        lease: { leaseId: change.leaseId, expiresAt: change.expiresAt, fencing },
      };
    } else if (change.op === 'renew') {
      item = { ...before, lease: { ...change.token, expiresAt: change.expiresAt } };
    } else {
      const { lease: _ended, ...rest } = before;
      item = rest;
    }
    items.set(keyOf(key), { key, item });
    return item;
  };

  const store: MemoryItemStore = {
    async get(key) {
      readCount++;
      const found = current(key);
      return found ? clone(found) : undefined;
    },

    async snapshot(key, { keyHash, version } = {}) {
      readCount++;
      const item = current(key);
      const entry = version === undefined ? undefined : history.get(entryKey(key, version));
      const record =
        keyHash === undefined ? undefined : idempotency.get(recordKey(key.tenant, keyHash));
      return {
        ...(item ? { item: clone(item) } : {}),
        ...(entry ? { entry: clone(entry) } : {}),
        ...(record ? { record: clone(record) } : {}),
      };
    },

    async snapshotMany(keys, wants) {
      readCount++;
      const record = wants && idempotency.get(recordKey(wants.tenant, wants.keyHash));
      return {
        items: keys.map((key) => {
          const found = current(key);
          return found && clone(found);
        }),
        ...(record ? { record: clone(record) } : {}),
      };
    },

    staged,
    conflicts,

    async listVersions(key, { limit, before, after, now: at }) {
      readCount++;
      const inRange = [...history.entries()]
        .filter(([k]) => JSON.parse(k)[0] === keyOf(key))
        .map(([, entry]) => entry)
        .filter((entry) => entry.version > after && entry.version < before)
        .sort((a, b) => b.version - a.version);
      // Like a Query with a Limit: `limit` entries are evaluated, then the filter drops expired ones.
      const evaluated = inRange.slice(0, limit);
      const last = evaluated[evaluated.length - 1];
      return {
        entries: evaluated.filter((entry) => entry.expiresAt > at).map(clone),
        ...(inRange.length > limit && last ? { before: last.version } : {}),
      };
    },

    async commit(plan: WritePlan): Promise<CommitResult> {
      commitCount++;
      const refusals = plan.parts.map(refusalOf);
      if (refusals.some((refusal) => refusal !== undefined)) throw new PlanRefusedError(refusals);
      let after: StoredItem | undefined;
      for (const part of plan.parts) {
        if (part.kind === 'document') after = applyDocument(part);
        else if (part.kind === 'lease') after = applyLease(part);
        else if (part.kind === 'history') {
          history.set(entryKey(part.key, part.entry.version), clone(part.entry));
        } else if (part.kind === 'history-drop') history.delete(entryKey(part.key, part.version));
        else if (part.kind === 'unique-claim') guards.set(guardKey(part), part.key.id);
        else if (part.kind === 'unique-release') guards.delete(guardKey(part));
        else if (part.kind === 'idempotency') {
          idempotency.set(recordKey(part.tenant, part.record.keyHash), clone(part.record));
        } else if (part.kind === 'staged-close') staged.applyClose(part);
        else if (part.kind === 'conflict-resolve') conflicts.applyResolve(part);
      }
      // Only a one-part plan is one UpdateItem, which returns the record after.
      return plan.parts.length === 1 && after ? { after: clone(after) } : {};
    },

    async list(tenant, collection, { limit, cursor }): Promise<ListPage> {
      const after = cursor === undefined ? undefined : Buffer.from(cursor, 'base64url').toString();
      const live = [...items.values()]
        .filter(
          (r) => r.key.tenant === tenant && r.key.collection === collection && !r.item.deleted,
        )
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

    records: () => [...items.values()].map((r) => clone(r.item)),
    historyOf: (key) =>
      [...history.entries()]
        .filter(([k]) => JSON.parse(k)[0] === keyOf(key))
        .map(([, entry]) => entry.version)
        .sort((a, b) => a - b),
    commits: () => commitCount,
    reads: () => readCount,
    seed: (key, body) => clone(writeDocument(key, body, now())),
  };
  return store;
};
