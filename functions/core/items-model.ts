/** Shapes shared by the domain and its storage port. */
import type { IdempotencyRecord } from './idempotency';

export type JsonValue =
  | null
  | boolean
  | number
  | string
  | JsonValue[]
  | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export interface ItemKey {
  readonly tenant: string;
  readonly collection: string;
  readonly id: string;
}

/** A document as stored: live, or a tombstone that keeps the version counter going. */
export interface StoredItem {
  readonly id: string;
  readonly version: number;
  readonly deleted: boolean;
  /** The client's document, without the server-managed `id` and `version`. */
  readonly body: JsonObject;
  readonly updatedAt: string;
  /** The last lease taken on the document, if any (it may have expired). */
  readonly lease?: Lease;
  /** Fencing token of the last lease ever taken: only grows. 0 when never leased. */
  readonly fencing?: number;
}

/** A pessimistic lease on a document. */
export interface Lease {
  /** Random part of the lock token. */
  readonly leaseId: string;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  readonly fencing: number;
}

/** What a client presents to write through its lease: `Lock-Token: <fencing>:<leaseId>`. */
export interface LockToken {
  readonly fencing: number;
  readonly leaseId: string;
}

/** A live document as clients see it, with its validator. */
export interface ItemView {
  readonly id: string;
  readonly version: number;
  readonly etag: string;
  /** ISO time of the version's write: the `Last-Modified` of the representation. */
  readonly updatedAt?: string;
  /** The representation: the document with `id` and `version` set by the server. */
  readonly document: JsonObject;
}

/**
 * What must hold of the stored item for a write to go through. All present
 * parts must hold. "Exists" means a live item; a tombstone counts as absent.
 */
export interface WriteCondition {
  readonly mustExist?: boolean;
  readonly mustBeAbsent?: boolean;
  /** Current version must be one of these (strong If-Match, or a body `version`). */
  readonly versionIn?: readonly number[];
  /** Current version must be none of these (If-None-Match with entity tags). */
  readonly versionNotIn?: readonly number[];
  /**
   * The record must be exactly at this version (tombstones included), or not
   * exist at all when null: pins a write to the state it was computed from.
   */
  readonly expectedVersion?: number | null;
  /**
   * Leases: no one else may hold an unexpired lease at `now` (epoch ms), and
   * a presented token must carry the current fencing token.
   */
  readonly lease?: { readonly now: number; readonly token?: LockToken };
  /**
   * A live item must have been last modified before this ISO time
   * (If-Unmodified-Since); absent and deleted items pass.
   */
  readonly modifiedBefore?: string;
}

export interface ListPage {
  readonly items: readonly StoredItem[];
  /** Opaque position after the last item, absent on the last page. */
  readonly cursor?: string;
}

/**
 * Thrown by an {@link ItemStore} when a write's condition did not hold; carries
 * the item as it was when the condition was evaluated (no second read).
 */
export class ConditionFailedError extends Error {
  constructor(readonly current: StoredItem | undefined) {
    super('write condition failed');
    this.name = 'ConditionFailedError';
  }
}

/**
 * The storage port. Every write is one conditional request: the store never
 * reads before it writes.
 */
export interface ItemStore {
  /** Strongly consistent read; returns tombstones too. */
  get(key: ItemKey): Promise<StoredItem | undefined>;
  /**
   * Writes `body` (or a tombstone when `body` is null) as the next version,
   * if `condition` holds. Returns the item written and whether a live item
   * existed before. Throws {@link ConditionFailedError} otherwise.
   */
  write(
    key: ItemKey,
    body: JsonObject | null,
    condition: WriteCondition,
  ): Promise<{ item: StoredItem; existed: boolean }>;
  /**
   * The same write, in one transaction with the idempotency record of its
   * result. `condition.expectedVersion` must be set, so the stored result is
   * the one written. Throws {@link ConditionFailedError} when the write's
   * condition fails, `IdempotencyRecordExistsError` when the record exists,
   * `IdempotencyInFlightError` when another transaction holds either item.
   */
  writeIdempotently(
    key: ItemKey,
    body: JsonObject | null,
    condition: WriteCondition,
    record: IdempotencyRecord,
  ): Promise<void>;
  /** The live (unexpired) idempotency record of a tenant's key, if any. */
  readIdempotency(tenant: string, keyHash: string): Promise<IdempotencyRecord | undefined>;
  /** Takes a lease on a live document that no one holds at `now`. Returns the item after. */
  acquireLease(key: ItemKey, leaseId: string, expiresAt: number, now: number): Promise<StoredItem>;
  /**
   * Extends the lease `token` names while it lasts at `now`: an expired lease
   * is over even when nobody took another, since others could write meanwhile.
   */
  renewLease(key: ItemKey, token: LockToken, expiresAt: number, now: number): Promise<StoredItem>;
  /** Ends the lease `token` names, unless another lease was taken since. */
  releaseLease(key: ItemKey, token: LockToken): Promise<StoredItem>;
  /** Live items of one tenant's collection in id order. */
  list(
    tenant: string,
    collection: string,
    options: { limit: number; cursor?: string },
  ): Promise<ListPage>;
}

/** Formats the strong entity tag of a version, e.g. `"7"`. */
export const etagOf = (version: number): string => `"${version}"`;

/** A live stored item as clients see it. */
export const viewOf = (item: StoredItem): ItemView => ({
  id: item.id,
  version: item.version,
  etag: etagOf(item.version),
  ...(item.updatedAt ? { updatedAt: item.updatedAt } : {}),
  document: { id: item.id, version: item.version, ...item.body },
});
