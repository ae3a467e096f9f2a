/**
 * The domain error family. Each error carries what a client needs to resolve
 * it without a second request; the HTTP layer maps each `code` to a status and
 * a problem type in one table, and is the only place that knows about 409 vs 412.
 */
import type { RateState } from './access';
import type { ItemView } from './items-model';
import type { Clash } from './merge';

export type ErrorCode =
  | 'bad-request'
  | 'not-found'
  | 'already-exists'
  | 'unique-violation'
  | 'version-mismatch'
  | 'precondition-required'
  | 'patch-test-failed'
  | 'validation-failed'
  | 'payload-too-large'
  | 'unsupported-media-type'
  | 'method-not-allowed'
  | 'unauthorized'
  | 'forbidden'
  | 'rate-limited'
  | 'lock-held'
  | 'lock-lost'
  | 'idempotency-key-reused'
  | 'idempotency-in-flight'
  | 'transaction-conflict'
  | 'transaction-expired'
  | 'transaction-closed'
  | 'version-is-deletion'
  | 'nothing-to-restore'
  | 'conflict-resolved'
  | 'unavailable';

/** Which HTTP precondition header a failure came from, if any (the strict profile answers 412). */
export type PreconditionSource = 'if-match' | 'if-none-match' | 'if-unmodified-since';

/** A wait in milliseconds as a Retry-After value: whole seconds, at least one. */
export const retryAfterSeconds = (ms: number): number => Math.max(1, Math.ceil(ms / 1000));

export abstract class DomainError extends Error {
  abstract readonly code: ErrorCode;
  /** Whether the same request may succeed if simply sent again later. */
  readonly retryable: boolean = false;
  /** The conflict record kept for this refusal, once it was recorded. */
  conflictId?: string;
  /** Why recording the conflict failed (an error name), when it did; the refusal stands. */
  conflictRecordFailed?: string;
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

export class BadRequestError extends DomainError {
  readonly code = 'bad-request';
  constructor(
    message: string,
    /** Where in the request body each problem is, when the body is to blame. */
    readonly errors?: readonly ValidationIssue[],
  ) {
    super(message);
  }
}

export class NotFoundError extends DomainError {
  readonly code = 'not-found';
  constructor(
    message: string,
    /** Set when an `If-Match` named a document that does not exist (412 in the strict profile). */
    readonly precondition?: PreconditionSource,
  ) {
    super(message);
  }
}

export class MethodNotAllowedError extends DomainError {
  readonly code = 'method-not-allowed';
  constructor(
    message: string,
    readonly allow: readonly string[],
  ) {
    super(message);
  }
}

/** A refused write that carries the state that won, so the client needs no second read. */
export abstract class StateConflictError extends DomainError {
  constructor(
    message: string,
    readonly current: ItemView,
    /** The precondition header that failed; absent when no header was involved. */
    readonly precondition?: PreconditionSource,
  ) {
    super(message);
  }
}

export class AlreadyExistsError extends StateConflictError {
  readonly code = 'already-exists';
}

/** Another document of the tenant's collection holds this value of a unique field. */
export class UniqueViolationError extends DomainError {
  readonly code = 'unique-violation';
  constructor(
    message: string,
    readonly field: string,
    /** The id of the document that holds the value (always of the same tenant). */
    readonly ownerId: string | undefined,
  ) {
    super(message);
  }
}

export class VersionMismatchError extends StateConflictError {
  readonly code = 'version-mismatch';
}

/**
 * A stale write the `merge` policy could not merge: both sides changed the
 * same paths (each with its base, theirs and ours values), or the base
 * version is no longer in the history (`clashes` empty, `baseKept` false).
 */
export class MergeClashError extends VersionMismatchError {
  constructor(
    message: string,
    current: ItemView,
    readonly baseVersion: number,
    readonly clashes: readonly Clash[],
    readonly baseKept = true,
  ) {
    super(message, current, 'if-match');
  }
}

export class PreconditionRequiredError extends DomainError {
  readonly code = 'precondition-required';
}

export class PatchTestFailedError extends DomainError {
  readonly code = 'patch-test-failed';
  constructor(
    message: string,
    readonly current: ItemView,
    readonly pointer: string,
  ) {
    super(message);
  }
}

export interface ValidationIssue {
  /** JSON Pointer (RFC 6901) into the request document. */
  readonly pointer: string;
  readonly message: string;
}

export class ValidationError extends DomainError {
  readonly code = 'validation-failed';
  constructor(
    message: string,
    readonly errors: readonly ValidationIssue[],
  ) {
    super(message);
  }
}

export class PayloadTooLargeError extends DomainError {
  readonly code = 'payload-too-large';
  constructor(
    message: string,
    readonly limitBytes: number,
  ) {
    super(message);
  }
}

export class UnsupportedMediaTypeError extends DomainError {
  readonly code = 'unsupported-media-type';
  constructor(
    message: string,
    readonly accepted: readonly string[],
  ) {
    super(message);
  }
}

/** The database is throttled or down after the SDK's own retries. */
export class UnavailableError extends DomainError {
  readonly code = 'unavailable';
  override readonly retryable = true;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** No usable API key. `presented` tells whether a key was sent at all (RFC 6750 error codes). */
export class UnauthorizedError extends DomainError {
  readonly code = 'unauthorized';
  constructor(
    message: string,
    readonly presented: boolean,
  ) {
    super(message);
  }
}

export class ForbiddenError extends DomainError {
  readonly code = 'forbidden';
}

export class RateLimitedError extends DomainError {
  readonly code = 'rate-limited';
  override readonly retryable = true;
  constructor(
    message: string,
    readonly rate: RateState,
  ) {
    super(message);
  }
}

/** The same Idempotency-Key came with a different request. */
export class IdempotencyKeyReusedError extends DomainError {
  readonly code = 'idempotency-key-reused';
}

/** A request with the same Idempotency-Key is being written right now. */
export class IdempotencyInFlightError extends DomainError {
  readonly code = 'idempotency-in-flight';
  override readonly retryable = true;
}

/** Why one operation of a transaction was refused, as the error it would get alone. */
export interface OperationFailure {
  /** Its position in the transaction. */
  readonly index: number;
  readonly op: string;
  readonly collection: string;
  readonly id: string;
  readonly error: DomainError;
}

/**
 * Nothing was written. Either other writers kept changing the same records
 * while this write was sent, even after a few jittered retries (retryable:
 * the same request may succeed), or, with `failures`, conditions of a
 * transaction's operations did not hold: each failure says why, with the
 * current state, and the same request would fail again.
 */
export class TransactionConflictError extends DomainError {
  readonly code = 'transaction-conflict';
  override readonly retryable: boolean;
  /** Every refused operation, in order; empty when only other writers were in the way. */
  readonly failures: readonly OperationFailure[];
  constructor(
    message: string,
    options: { cause?: unknown; failures?: readonly OperationFailure[] } = {},
  ) {
    super(message, options);
    this.failures = options.failures ?? [];
    this.retryable = this.failures.length === 0;
  }
}

/** A staged transaction passed its expiry before it was committed. */
export class TransactionExpiredError extends DomainError {
  readonly code = 'transaction-expired';
  constructor(
    message: string,
    /** Epoch milliseconds. */
    readonly expiresAt: number,
  ) {
    super(message);
  }
}

/** A staged transaction was committed or aborted already: it takes no more changes. */
export class TransactionClosedError extends DomainError {
  readonly code = 'transaction-closed';
  constructor(
    message: string,
    readonly state: 'committed' | 'aborted',
  ) {
    super(message);
  }
}

/** The version asked for is the deletion of the document: it has no content to show. */
export class VersionIsDeletionError extends DomainError {
  readonly code = 'version-is-deletion';
  constructor(
    message: string,
    readonly version: number,
  ) {
    super(message);
  }
}

/** A restore named the version that deleted the document: there is no content to restore. */
export class NothingToRestoreError extends DomainError {
  readonly code = 'nothing-to-restore';
  constructor(
    message: string,
    readonly version: number,
  ) {
    super(message);
  }
}

/** Another client holds an unexpired lease on the document. */
export class LockHeldError extends DomainError {
  readonly code = 'lock-held';
  override readonly retryable = true;
  constructor(
    message: string,
    /** Epoch milliseconds when the lease ends unless renewed. */
    readonly leaseExpiresAt: number,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

/** The presented lock token no longer names the current lease (taken over, or stale fencing). */
export class LockLostError extends DomainError {
  readonly code = 'lock-lost';
  constructor(
    message: string,
    readonly currentFencing: number,
  ) {
    super(message);
  }
}

/** The conflict was resolved already: it cannot be resolved twice. */
export class ConflictResolvedError extends DomainError {
  readonly code = 'conflict-resolved';
  constructor(
    message: string,
    /** The version the first resolution left the document at. */
    readonly resolvedVersion: number | undefined,
  ) {
    super(message);
  }
}
