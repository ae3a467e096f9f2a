/** Shapes shared by the domain and its storage port. */
import type { ConflictStore } from './conflicts-model';
import { bodyText, knownBodyText } from './documents';
import type { HistoryEntry } from './history';
import type { IdempotencyRecord } from './idempotency';
import type { StagedStore } from './staged-model';
import type { CommitResult, WritePlan } from './write-plan';

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
 * A refused change of one document record (its lease, or its content),
 * carrying the record as it was when the condition was evaluated (no
 * second read).
 */
export class ConditionFailedError extends Error {
  constructor(readonly current: StoredItem | undefined) {
    super('write condition failed');
    this.name = 'ConditionFailedError';
  }
}

/** What a snapshot reads besides the document. */
export interface SnapshotWants {
  /** The tenant's idempotency record of this key hash. */
  readonly keyHash?: string | undefined;
  /** The history entry of this version. */
  readonly version?: number | undefined;
}

/** A document with the records a write or a version read needs, read together. */
export interface Snapshot {
  readonly item?: StoredItem;
  /** As stored: retention may no longer keep it. */
  readonly entry?: HistoryEntry;
  /** As stored: it may have expired (TTL deletes late). */
  readonly record?: IdempotencyRecord;
}

/** Several documents (and an idempotency record) read together, in the order asked. */
export interface ManySnapshot {
  /** One entry per key asked for; undefined where no record exists. */
  readonly items: readonly (StoredItem | undefined)[];
  /** As stored: it may have expired (TTL deletes late). */
  readonly record?: IdempotencyRecord;
}

/** One page of a document's history, newest first. */
export interface VersionPage {
  readonly entries: readonly HistoryEntry[];
  /** The version to continue below, absent on the last page. */
  readonly before?: number;
}

/**
 * The storage port. Every write is one plan sent as one request
 * ({@link ItemStore.commit}); the store never reads before it writes.
 */
export interface ItemStore {
  /** Strongly consistent read; returns tombstones too. */
  get(key: ItemKey): Promise<StoredItem | undefined>;
  /**
   * A document and the records `wants` names (a history entry, the tenant's
   * idempotency record of a key), in one strongly consistent and isolated
   * read: never the document after a keyed write without that write's record.
   */
  snapshot(key: ItemKey, wants?: SnapshotWants): Promise<Snapshot>;
  /**
   * Documents (and a tenant's idempotency record of a key hash) in one
   * strongly consistent and isolated read: a transaction reads every
   * document it must know before writing in one request.
   */
  snapshotMany(
    keys: readonly ItemKey[],
    wants?: { tenant: string; keyHash: string },
  ): Promise<ManySnapshot>;
  /** Staged transactions, kept in the same table. */
  readonly staged: StagedStore;
  /** Refused version conflicts, kept in the same table. */
  readonly conflicts: ConflictStore;
  /**
   * Sends a plan as one request: all of it commits or none of it. Throws
   * `PlanRefusedError` when a condition failed, `IdempotencyInFlightError`
   * when another request holds the plan's idempotency record, and a
   * retryable conflict when others kept writing the same records.
   */
  commit(plan: WritePlan): Promise<CommitResult>;
  /**
   * A document's history, newest first: entries strictly between versions
   * `after` and `before` whose retention time is after `now` (epoch seconds).
   */
  listVersions(
    key: ItemKey,
    page: { limit: number; before: number; after: number; now: number },
  ): Promise<VersionPage>;
  /** Live items of one tenant's collection in id order. */
  list(
    tenant: string,
    collection: string,
    options: { limit: number; cursor?: string },
  ): Promise<ListPage>;
}

/** Formats the strong entity tag of a version, e.g. `"7"`. */
export const etagOf = (version: number): string => `"${version}"`;

/** The body each representation was made from, to write its JSON from the body's. */
const bodies = new WeakMap<JsonObject, JsonObject>();

/** The record each view was made of, to write its JSON from the record's. */
const sources = new WeakMap<ItemView, StoredItem>();

/**
 * A live stored item as clients see it. The representation is made when
 * first asked for: a read answers with {@link viewText} and never needs it.
 */
export const viewOf = (item: StoredItem): ItemView => {
  let document: JsonObject | undefined;
  const view: ItemView = {
    id: item.id,
    version: item.version,
    etag: etagOf(item.version),
    ...(item.updatedAt ? { updatedAt: item.updatedAt } : {}),
    get document(): JsonObject {
      if (document === undefined) {
        document = { id: item.id, version: item.version, ...item.body };
        bodies.set(document, item.body);
      }
      return document;
    },
  };
  sources.set(view, item);
  return view;
};

/** The stored record a view was made of. */
export const storedOf = (view: ItemView): StoredItem | undefined => sources.get(view);

/** An array index as a property key: objects list these first, whatever their order. */
const INDEX_KEY = /^(?:0|[1-9]\d{0,9})$/;
/** JSON.stringify writes index keys first, so the first key tells whether a body has any. */
const INDEX_KEY_FIRST = /^\{"(?:0|[1-9]\d{0,9})":/;

const spliced = (id: string, version: number, text: string): string => {
  const head = `{"id":${JSON.stringify(id)},"version":${JSON.stringify(version)}`;
  return text === '{}' ? `${head}}` : `${head},${text.slice(1)}`;
};

/**
 * The JSON text of a representation, exactly as `JSON.stringify` writes it,
 * made from the text of its body (written once for the request, or read from
 * the table) instead of serializing the document again. A body whose keys
 * would not follow `id` and `version` in that order is serialized as usual.
 */
export const representationText = (document: JsonObject): string => {
  const body = bodies.get(document);
  if (
    body === undefined ||
    Object.hasOwn(body, 'id') ||
    Object.hasOwn(body, 'version') ||
    Object.keys(body).some((key) => INDEX_KEY.test(key))
  ) {
    return JSON.stringify(document);
  }
  return spliced(String(document.id), Number(document.version), bodyText(body));
};

/**
 * The JSON text of a view's representation, as {@link representationText}
 * writes it. For a record read from the table it is made from the body's
 * text as stored, without parsing the body: stored bodies never hold `id` or
 * `version` (they are stripped before a body is stored), so only index keys
 * need the usual serialization.
 */
export const viewText = (view: ItemView): string => {
  const item = sources.get(view);
  const text = item && knownBodyText(item);
  if (item === undefined || text === undefined || INDEX_KEY_FIRST.test(text)) {
    return representationText(view.document);
  }
  return spliced(item.id, item.version, text);
};
