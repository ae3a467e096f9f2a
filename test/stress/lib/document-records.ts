/**
 * The stored truth of a document, read straight from the table with a plain
 * DocumentClient (no faults, no handler code), and what one write should
 * turn it into. Used to prove that a write happened whole or not at all.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { hashIdempotencyKey } from '../../../functions/core/idempotency';
import type { JsonObject } from '../../../functions/core/items-model';
import { idempotencyKey } from '../../../functions/store/idempotency-requests';
import { itemKey } from '../../../functions/store/item-requests';

/** A document record in the fields that matter to clients, leases included. */
export interface Snapshot {
  readonly version: number;
  readonly live: boolean;
  readonly body: JsonObject | undefined;
  readonly leaseId: string | undefined;
  readonly leaseExpiresAt: number | undefined;
  readonly fencing: number;
}

export interface RecordReader {
  /** The raw record (undefined when there is none) and its snapshot. */
  document(id: string): Promise<{ raw: string; snapshot: Snapshot | undefined }>;
  /** Whether an idempotency record exists for the tenant's key. */
  hasIdempotencyRecord(key: string): Promise<boolean>;
}

/** JSON with sorted keys: two records print the same exactly when they are equal. */
export const canonical = (value: unknown): string =>
  JSON.stringify(value, (_key, v) =>
    v && typeof v === 'object' && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : v,
  );

const snapshotOf = (item: Record<string, unknown>): Snapshot => ({
  version: Number(item.version),
  live: item.state === 'live',
  body: typeof item.body === 'string' ? (JSON.parse(item.body) as JsonObject) : undefined,
  leaseId: typeof item.leaseId === 'string' ? item.leaseId : undefined,
  leaseExpiresAt: item.leaseExpiresAt === undefined ? undefined : Number(item.leaseExpiresAt),
  fencing: Number(item.fencing ?? 0),
});

export const recordReader = (
  client: DynamoDBDocumentClient,
  tableName: string,
  tenant: string,
  collection: string,
): RecordReader => ({
  async document(id) {
    const { Item } = await client.send(
      new GetCommand({
        TableName: tableName,
        Key: itemKey({ tenant, collection, id }),
        ConsistentRead: true,
      }),
    );
    return { raw: canonical(Item ?? null), snapshot: Item ? snapshotOf(Item) : undefined };
  },
  async hasIdempotencyRecord(key) {
    const { Item } = await client.send(
      new GetCommand({
        TableName: tableName,
        Key: idempotencyKey(tenant, hashIdempotencyKey(tenant, key)),
        ConsistentRead: true,
      }),
    );
    return Item !== undefined;
  },
});

/** The Lock-Token of the lease a snapshot holds, if any. */
export const lockTokenOf = (snapshot: Snapshot | undefined): string | undefined =>
  snapshot?.leaseId ? `${snapshot.fencing}:${snapshot.leaseId}` : undefined;

/** What must be true of the record after the write went through: a predicate with a name. */
export interface Expected {
  readonly describe: string;
  holds(after: Snapshot | undefined): boolean;
}

const sameJson = (a: unknown, b: unknown): boolean => canonical(a) === canonical(b);

/** A document write: next version, this body (or a tombstone), lease untouched unless deleted. */
export const expectWrite = (before: Snapshot | undefined, body: JsonObject | null): Expected => ({
  describe: body ? `version ${(before?.version ?? 0) + 1} with ${canonical(body)}` : 'a tombstone',
  holds: (after) =>
    after !== undefined &&
    after.version === (before?.version ?? 0) + 1 &&
    after.live === (body !== null) &&
    sameJson(after.body ?? null, body) &&
    after.fencing === (before?.fencing ?? 0) &&
    (body === null
      ? after.leaseId === undefined && after.leaseExpiresAt === undefined
      : after.leaseId === before?.leaseId && after.leaseExpiresAt === before?.leaseExpiresAt),
});

/** Lease changes leave the document alone. */
const sameDocument = (before: Snapshot, after: Snapshot): boolean =>
  after.version === before.version && after.live && sameJson(after.body, before.body);

export const expectAcquire = (before: Snapshot): Expected => ({
  describe: `a lease with fencing token ${before.fencing + 1}`,
  holds: (after) =>
    after !== undefined &&
    sameDocument(before, after) &&
    after.fencing === before.fencing + 1 &&
    after.leaseId !== undefined &&
    after.leaseId !== before.leaseId,
});

export const expectRenew = (before: Snapshot): Expected => ({
  describe: 'the same lease, expiring no earlier',
  holds: (after) =>
    after !== undefined &&
    sameDocument(before, after) &&
    after.fencing === before.fencing &&
    after.leaseId === before.leaseId &&
    (after.leaseExpiresAt ?? 0) >= (before.leaseExpiresAt ?? 0),
});

export const expectRelease = (before: Snapshot): Expected => ({
  describe: 'no lease, the same fencing token',
  holds: (after) =>
    after !== undefined &&
    sameDocument(before, after) &&
    after.fencing === before.fencing &&
    after.leaseId === undefined &&
    after.leaseExpiresAt === undefined,
});
