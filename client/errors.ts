/**
 * Errors the client throws. Every one is a {@link ConcordError}; server
 * answers keep their RFC 9457 problem fields, and errors raised before any
 * answer arrived (network, timeout, abort) use status 0.
 */
import { type Clash, type ConflictLink, readClashes, readConflictLink } from './conflicts.js';
import type { OperationFailure } from './transaction-types.js';
import type { JsonObject, VersionedDocument } from './types.js';

/**
 * Prefix of every problem `type` the server emits, a reference to the
 * problem's explanation in the server's /docs guide; the rest is the `code`.
 */
export const PROBLEM_TYPE_PREFIX = '/docs#problem-';
/** The part of a problem `type` before its code, also once resolved to an absolute URL. */
export const PROBLEM_TYPE_ANCHOR = '#problem-';

/** An RFC 9457 problem details body with Concord's extensions left open. */
export interface ProblemDetails {
  type?: string;
  title?: string;
  status?: number;
  detail?: string;
  instance?: string;
  retryable?: boolean;
  [extension: string]: unknown;
}

export interface ConcordErrorInit {
  status: number;
  code: string;
  type?: string;
  title: string;
  detail?: string | undefined;
  retryable: boolean;
  problem?: ProblemDetails | undefined;
  headers?: Headers | undefined;
  cause?: unknown;
}

/** Base of every error the client throws. */
export class ConcordError extends Error {
  /** HTTP status, or 0 when no answer was received. */
  readonly status: number;
  /** Problem `type` URI (`about:blank` when the body was not a problem). */
  readonly type: string;
  /** Suffix of `type`, e.g. `version-mismatch`; derived from the status for non-problem bodies. */
  readonly code: string;
  readonly title: string;
  readonly detail: string | undefined;
  /** The server's hint that the same request may succeed later. */
  readonly retryable: boolean;
  /** The raw problem body, when there was one. */
  readonly problem: ProblemDetails | undefined;
  /** Response headers (e.g. `RateLimit`), when there was a response. */
  readonly headers: Headers | undefined;

  constructor(init: ConcordErrorInit) {
    const what = init.detail ?? init.title;
    const message = init.status > 0 ? `${init.status} ${init.code}: ${what}` : what;
    super(message, init.cause === undefined ? undefined : { cause: init.cause });
    this.name = new.target.name;
    this.status = init.status;
    this.type = init.type ?? 'about:blank';
    this.code = init.code;
    this.title = init.title;
    this.detail = init.detail;
    this.retryable = init.retryable;
    this.problem = init.problem;
    this.headers = init.headers;
  }
}

/**
 * 409 (or 412 in the strict profile): `version-mismatch`, `already-exists`,
 * `patch-test-failed` and the other conflict codes. `current` is the state that
 * won, taken from the answer body, so resolving needs no second request.
 */
export class ConflictError<T extends object = JsonObject> extends ConcordError {
  readonly current: VersionedDocument<T> | undefined;
  /** JSON Pointer of the failed `test` operation (`patch-test-failed`). */
  readonly pointer: string | undefined;
  /** Where the existing resource lives (`already-exists`). */
  readonly location: string | undefined;
  /** The conflict the server recorded for this refusal, to resolve later (`/v1/conflicts/{id}`). */
  readonly conflict: ConflictLink | undefined;
  /** A refused merge: the paths both sides changed, with base, theirs and ours values. */
  readonly clashes: readonly Clash[];
  /** A refused merge: the version the write named, and whether the history still had it. */
  readonly baseVersion: number | undefined;
  readonly baseKept: boolean | undefined;

  constructor(init: ConcordErrorInit) {
    super(init);
    this.current = readCurrent<T>(init.problem?.current);
    this.conflict = readConflictLink(init.problem?.conflict);
    this.clashes = readClashes(init.problem?.clashes);
    const base = init.problem?.baseVersion;
    this.baseVersion = typeof base === 'number' ? base : undefined;
    const kept = init.problem?.baseKept;
    this.baseKept = typeof kept === 'boolean' ? kept : undefined;
    this.pointer = stringOrUndefined(init.problem?.pointer);
    this.location =
      stringOrUndefined(init.problem?.location) ?? init.headers?.get('location') ?? undefined;
  }
}

/**
 * 409 `transaction-conflict`. With `failures`, conditions of the
 * transaction's operations did not hold: each failure names its operation
 * with the reason and the current state, and sending the same transaction
 * again would fail again. Without, other writers kept changing the same
 * records (`retryable`): sending it again may succeed.
 */
export class TransactionConflictError<T extends object = JsonObject> extends ConflictError<T> {
  readonly failures: readonly OperationFailure<T>[];
  constructor(init: ConcordErrorInit) {
    super(init);
    const raw = init.problem?.failed;
    this.failures = Array.isArray(raw) ? raw.map((failure) => readFailure<T>(failure)) : [];
  }
}

export class NotFoundError extends ConcordError {}

/** 428: the collection requires `If-Match` (or `If-None-Match: *`) on this write. */
export class PreconditionRequiredError extends ConcordError {}

export interface ValidationIssue {
  /** JSON Pointer (RFC 6901) into the request document. */
  readonly pointer: string;
  readonly message: string;
}

/** 422 `validation-failed`: the document does not match the collection's schema. */
export class ValidationError extends ConcordError {
  readonly errors: readonly ValidationIssue[];
  constructor(init: ConcordErrorInit) {
    super(init);
    const raw = init.problem?.errors;
    this.errors = Array.isArray(raw)
      ? raw.map((e: unknown) => ({
          pointer: stringOrUndefined((e as ValidationIssue | null)?.pointer) ?? '',
          message: stringOrUndefined((e as ValidationIssue | null)?.message) ?? '',
        }))
      : [];
  }
}

/** 429: `retryAfterMs` comes from `Retry-After`; the raw RateLimit headers are kept. */
export class RateLimitedError extends ConcordError {
  readonly rateLimitPolicy: string | undefined;
  readonly rateLimit: string | undefined;
  constructor(
    init: ConcordErrorInit,
    readonly retryAfterMs: number | undefined,
  ) {
    super(init);
    this.rateLimitPolicy = init.headers?.get('ratelimit-policy') ?? undefined;
    this.rateLimit = init.headers?.get('ratelimit') ?? undefined;
  }
}

/** 503: the service is throttled or down; `retryAfterMs` comes from `Retry-After`. */
export class UnavailableError extends ConcordError {
  constructor(
    init: ConcordErrorInit,
    readonly retryAfterMs: number | undefined,
  ) {
    super(init);
  }
}

/** The request failed before an answer arrived; it may or may not have reached the server. */
export class NetworkError extends ConcordError {
  constructor(cause: unknown) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super({
      status: 0,
      code: 'network-error',
      title: `Network error: ${reason}`,
      retryable: true,
      cause,
    });
  }
}

/** The call's deadline (`timeoutMs`) passed; a write may or may not have been applied. */
export class TimeoutError extends ConcordError {
  constructor(readonly timeoutMs: number) {
    super({
      status: 0,
      code: 'timeout',
      title: `Timed out after ${timeoutMs} ms`,
      retryable: true,
    });
  }
}

/** The caller's `AbortSignal` fired; `cause` is its reason. Named `AbortError` like the platform's. */
export class AbortedError extends ConcordError {
  constructor(reason: unknown) {
    super({
      status: 0,
      code: 'aborted',
      title: 'The call was aborted',
      retryable: false,
      cause: reason,
    });
    this.name = 'AbortError';
  }
}

/** The server answered 2xx with a body the client cannot read. */
export class InvalidResponseError extends ConcordError {}

function stringOrUndefined(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

function readFailure<T extends object>(raw: unknown): OperationFailure<T> {
  const { index, op, collection, id, reason, detail, current, conflict, ...members } = (raw ??
    {}) as Record<string, unknown>;
  return {
    index: typeof index === 'number' ? index : -1,
    op: String(op),
    collection: String(collection),
    id: String(id),
    reason: String(reason),
    detail: stringOrUndefined(detail),
    current: readCurrent<T>(current),
    conflict: readConflictLink(conflict),
    members,
  };
}

function readCurrent<T extends object>(raw: unknown): VersionedDocument<T> | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { version, etag, document } = raw as Record<string, unknown>;
  if (typeof document !== 'object' || document === null || Array.isArray(document)) {
    return undefined;
  }
  const doc = document as VersionedDocument<T>['document'];
  const v = typeof version === 'number' ? version : doc.version;
  if (typeof v !== 'number') return undefined;
  return {
    id: String(doc.id),
    version: v,
    etag: typeof etag === 'string' ? etag : `"${v}"`,
    document: doc,
  };
}
