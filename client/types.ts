/**
 * Shapes the client exchanges with a Concord server. Kept free of runtime code
 * so browser bundles only pay for what they call.
 */
import type { WriteOutcome } from './conflicts.js';

/** Any JSON value. */
export type JsonValue = null | boolean | number | string | JsonValue[] | JsonObject;

/** A JSON object: every Concord document is one. */
export interface JsonObject {
  [key: string]: JsonValue;
}

/** A document as the server stores it: the caller's fields plus `id` and `version`. */
export type Stored<T extends object = JsonObject> = T & { id: string; version: number };

/** A document together with the validators needed for the next conditional write. */
export interface VersionedDocument<T extends object = JsonObject> {
  readonly id: string;
  /** Integer incremented by every successful write. */
  readonly version: number;
  /** Strong entity tag of this version, e.g. `"7"`; pass it as `ifMatch`. */
  readonly etag: string;
  readonly document: Stored<T>;
}

/** What a successful create, replace or patch returns. */
export interface WriteResult<T extends object = JsonObject> extends VersionedDocument<T> {
  /** HTTP status of the answer: 201 when a resource was made, 200 otherwise. */
  readonly status: number;
  readonly created: boolean;
  /** `Location` header, present when a resource was made. */
  readonly location: string | undefined;
  /** True when the server replayed the stored first answer for this `Idempotency-Key`. */
  readonly replayed: boolean;
  /**
   * Set when the write named an older version and the collection's conflict
   * policy merged it (`merge`) or wrote it over the current one (`last-writer-wins`).
   */
  readonly outcome?: WriteOutcome;
}

/** One page of a collection listing. */
export interface Page<T extends object = JsonObject> {
  readonly items: VersionedDocument<T>[];
  /** Opaque cursor for the next page, `null` on the last page. */
  readonly nextCursor: string | null;
}

/** An entity tag (`"7"`, `7`-as-string is quoted for you) or a version number. */
export type EntityTag = string | number;

/** Options every method accepts. */
export interface CallOptions {
  /** Aborts the call, including any wait between retries. */
  signal?: AbortSignal;
  /** Deadline for the whole call, retries and waits included; overrides the client default. */
  timeoutMs?: number;
}

/** Options of writes that may carry an `Idempotency-Key`. */
export interface IdempotentWriteOptions extends CallOptions {
  /**
   * POST and PATCH send a random key by default and reuse it across retries,
   * which is what makes retrying them after a lost response safe. Pass your own
   * key to span retries you do yourself, or `false` to send none (the request
   * is then never retried after a network error or 5xx).
   */
  idempotencyKey?: string | false;
  /** The `lockToken` of a lease you hold, to write through it. */
  lockToken?: string;
}

/** Options of PUT and DELETE: a key is only sent when you pass one. */
export interface RepeatableWriteOptions extends CallOptions {
  /**
   * With a key the request is retried after a network error or 5xx. Without a
   * key it is not: a repeated `If-Match` write whose first attempt did land
   * would be refused with a version-mismatch caused by itself.
   */
  idempotencyKey?: string;
  /** The `lockToken` of a lease you hold, to write through it. */
  lockToken?: string;
}

/** A held lease, as acquire and renew answer. */
export interface Lease {
  /** Send as `lockToken` on writes (the `Lock-Token` header) and to renew or release. */
  readonly lockToken: string;
  /** Grows with every acquisition of this document's lease. */
  readonly fencingToken: number;
  readonly expiresAt: Date;
  readonly ttlSeconds: number;
}

export interface LockOptions extends CallOptions {
  /** Lease length in seconds (server default 30, at most 300). */
  ttlSeconds?: number;
}

export interface WithLockOptions extends LockOptions {
  /** How long to keep trying while another client holds the lease (default 30 s). */
  waitMs?: number;
}

/** Precondition of a replace: version-checked overwrite, or create-only. */
export type ReplacePrecondition = { ifMatch: EntityTag } | { ifNoneMatch: '*' };

export type ReplaceOptions = ReplacePrecondition & RepeatableWriteOptions;

export interface PatchOptions extends IdempotentWriteOptions {
  ifMatch: EntityTag;
}

export interface DeleteOptions extends RepeatableWriteOptions {
  ifMatch: EntityTag;
}

export interface GetOptions extends CallOptions {
  /** ETag of a cached copy: the server answers 304 and `get` resolves `undefined` if it is current. */
  ifNoneMatch?: EntityTag;
}

export interface ListOptions extends CallOptions {
  limit?: number;
  cursor?: string;
}

/** One kept version of a document, as its history lists it. */
export interface VersionEntry {
  readonly version: number;
  /** That version's strong entity tag, e.g. `"4"`. */
  readonly etag: string;
  /** The write that made it. */
  readonly operation: 'create' | 'replace' | 'patch' | 'delete' | 'restore';
  /** When it was written (ISO 8601). */
  readonly time: string;
  /** The API key that wrote it; null when it was not written through one. */
  readonly keyId: string | null;
  /** True for the version that deleted the document: it has no content to read or restore. */
  readonly deleted: boolean;
}

/** One page of a document's history, newest version first. */
export interface VersionPage {
  readonly items: VersionEntry[];
  /** Opaque cursor for the next (older) page, `null` on the last page. */
  readonly nextCursor: string | null;
}

/**
 * Precondition of a restore, as for a replace: `ifMatch` the current version,
 * or `ifNoneMatch: '*'` to revive a deleted document.
 */
export type RestoreOptions = ReplacePrecondition & IdempotentWriteOptions;

/** One RFC 6902 JSON Patch operation. */
export type JsonPatchOperation =
  | { op: 'add' | 'replace' | 'test'; path: string; value: JsonValue }
  | { op: 'remove'; path: string }
  | { op: 'move' | 'copy'; from: string; path: string };

/** Backoff parameters: delay before retry n is `random() * min(maxDelayMs, baseDelayMs * 2^n)`. */
export interface BackoffPolicy {
  baseDelayMs: number;
  maxDelayMs: number;
  /** Total attempts, the first one included. */
  maxAttempts: number;
}

/** Transport retry policy: backoff plus the longest `Retry-After` the client is willing to wait. */
export interface RetryPolicy extends BackoffPolicy {
  /** A `Retry-After` longer than this ends the call with the error instead of waiting. */
  maxRetryAfterMs: number;
}

/** Computes a replacement document from the current one; called again on each conflict. */
export type Mutator<T extends object> = (current: Stored<T>) => T | Promise<T>;

export interface UpdateOptions extends CallOptions, Partial<BackoffPolicy> {
  /** `false` retries a conflict immediately (no wait), e.g. to demonstrate a retry storm. */
  backoff?: boolean;
  /** The `lockToken` of a lease you hold, so `update()` works inside `withLock()`. */
  lockToken?: string;
  /**
   * Makes each write of the loop retry-safe. Every attempt writes a different
   * body under a different `If-Match`, so attempt n sends `<key>.<n>`: a retry
   * of that attempt after a lost response gets its stored answer instead of
   * applying the change twice. (Running the whole `update()` again with the
   * same key reads the new state and is refused with `idempotency-key-reused`.)
   */
  idempotencyKey?: string;
}

/** The fetch signature the client needs; the platform `fetch` satisfies it. */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** Waits `ms`, rejecting with `signal.reason` as soon as `signal` aborts. */
export type SleepFn = (ms: number, signal: AbortSignal) => Promise<void>;

export interface ConcordClientOptions {
  /** Origin (and optional path prefix) of the API, without `/v1`. */
  baseUrl: string;
  /** Sent as `Authorization: Bearer <apiKey>`. */
  apiKey?: string;
  fetch?: FetchLike;
  retry?: Partial<RetryPolicy>;
  /** Default deadline per call (default 30 s); `0` disables it. */
  timeoutMs?: number;
  /** Source of jitter in [0, 1); injectable for deterministic tests. */
  random?: () => number;
  sleep?: SleepFn;
  /** Clock in milliseconds that times round trips (default `performance.now`); injectable for tests. */
  now?: () => number;
}
