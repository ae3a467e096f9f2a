/**
 * The one error mapper: domain errors to RFC 9457 problem responses. This
 * table is the only place that knows statuses, and so the only place that
 * knows about 409 vs 412. Anything that is not a domain error becomes a
 * generic 500 that shows nothing of its cause.
 */
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { HttpProfile } from '../core/config';
import {
  AlreadyExistsError,
  BadRequestError,
  ConflictResolvedError,
  DomainError,
  type ErrorCode,
  ForbiddenError,
  IdempotencyInFlightError,
  LockHeldError,
  LockLostError,
  MergeClashError,
  MethodNotAllowedError,
  NotFoundError,
  NothingToRestoreError,
  PatchTestFailedError,
  PayloadTooLargeError,
  RateLimitedError,
  StateConflictError,
  TransactionClosedError,
  TransactionConflictError,
  TransactionExpiredError,
  UnauthorizedError,
  UnavailableError,
  UniqueViolationError,
  UnsupportedMediaTypeError,
  ValidationError,
  VersionIsDeletionError,
  VersionMismatchError,
} from '../core/errors';
import type { ItemView } from '../core/items-model';
import { problemTypeUri } from './problem-types';
import { rateHeaders } from './rate-headers';
import { documentPath } from './responses';

export { PROBLEM_TYPE_BASE } from './problem-types';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const STATUS: Record<ErrorCode, { status: number; title: string }> = {
  'bad-request': { status: 400, title: 'Bad request' },
  unauthorized: { status: 401, title: 'Unauthorized' },
  forbidden: { status: 403, title: 'Forbidden' },
  'not-found': { status: 404, title: 'Not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'already-exists': { status: 409, title: 'The document already exists' },
  'unique-violation': { status: 409, title: 'Another document holds this unique value' },
  'lock-held': { status: 409, title: 'Another client holds a lease on the document' },
  'lock-lost': { status: 409, title: 'The lease of this Lock-Token has ended' },
  'idempotency-in-flight': {
    status: 409,
    title: 'A request with this Idempotency-Key is in flight',
  },
  'version-mismatch': { status: 409, title: 'The document has changed' },
  'transaction-conflict': { status: 409, title: 'A conflict cancelled the write' },
  'transaction-closed': { status: 409, title: 'The transaction was committed or aborted' },
  'patch-test-failed': { status: 409, title: 'A JSON Patch test failed' },
  'version-is-deletion': { status: 410, title: 'This version is the deletion of the document' },
  'transaction-expired': { status: 410, title: 'The transaction has expired' },
  'payload-too-large': { status: 413, title: 'Payload too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'validation-failed': { status: 422, title: 'The document is not valid' },
  'idempotency-key-reused': { status: 422, title: 'Idempotency-Key reused for another request' },
  'nothing-to-restore': { status: 422, title: 'This version is a deletion: nothing to restore' },
  'conflict-resolved': { status: 409, title: 'The conflict was resolved already' },
  'precondition-required': { status: 428, title: 'Precondition required' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  unavailable: { status: 503, title: 'Service unavailable' },
};

/** The strict-HTTP profile answers failed `If-Match` / `If-None-Match` headers with 412. */
const statusFor = (error: DomainError, profile: HttpProfile): number => {
  const preconditionFailed =
    (error instanceof StateConflictError || error instanceof NotFoundError) &&
    error.precondition !== undefined;
  if (profile === 'strict-http' && preconditionFailed) return 412;
  return STATUS[error.code].status;
};

const currentState = (view: ItemView) => ({
  version: view.version,
  etag: view.etag,
  document: view.document,
});

/** The members each error adds to the problem body, and the headers it sets. */
const extensions = (
  error: DomainError,
): { body: Record<string, unknown>; headers: Record<string, string> } => {
  if (error instanceof AlreadyExistsError) {
    const location = error.current.document.id;
    return {
      body: { current: currentState(error.current), location },
      headers: { etag: error.current.etag },
    };
  }
  if (error instanceof UniqueViolationError) {
    return {
      body: {
        field: error.field,
        ...(error.ownerId !== undefined ? { location: error.ownerId } : {}),
      },
      headers: {},
    };
  }
  if (error instanceof MergeClashError) {
    return {
      body: {
        current: currentState(error.current),
        baseVersion: error.baseVersion,
        baseKept: error.baseKept,
        clashes: error.clashes,
      },
      headers: { etag: error.current.etag },
    };
  }
  if (error instanceof ConflictResolvedError) {
    return { body: { resolvedVersion: error.resolvedVersion ?? null }, headers: {} };
  }
  if (error instanceof VersionMismatchError) {
    return {
      body: { current: currentState(error.current) },
      headers: { etag: error.current.etag },
    };
  }
  if (error instanceof PatchTestFailedError) {
    return {
      body: { current: currentState(error.current), pointer: error.pointer },
      headers: { etag: error.current.etag },
    };
  }
  if (error instanceof ValidationError) return { body: { errors: error.errors }, headers: {} };
  if (error instanceof BadRequestError && error.errors) {
    return { body: { errors: error.errors }, headers: {} };
  }
  if (error instanceof TransactionConflictError && error.failures.length > 0) {
    // Each refused operation as the problem it would be alone: reason, detail, its members.
    const failed = error.failures.map(({ index, op, collection, id, error: cause }) => {
      const { body } = extensions(cause);
      // The document it names (the existing one, or a value's holder) as a path.
      if (typeof body.location === 'string')
        body.location = documentPath(collection, body.location);
      const conflict =
        cause.conflictId !== undefined ? { conflict: conflictLink(cause.conflictId) } : {};
      return {
        index,
        op,
        collection,
        id,
        reason: cause.code,
        detail: cause.message,
        ...body,
        ...conflict,
      };
    });
    return { body: { failed }, headers: {} };
  }
  if (error instanceof TransactionExpiredError) {
    return { body: { expiresAt: new Date(error.expiresAt).toISOString() }, headers: {} };
  }
  if (error instanceof TransactionClosedError) return { body: { state: error.state }, headers: {} };
  if (error instanceof PayloadTooLargeError) {
    return { body: { limitBytes: error.limitBytes }, headers: {} };
  }
  if (error instanceof UnsupportedMediaTypeError) {
    return { body: { accepted: error.accepted }, headers: { accept: error.accepted.join(', ') } };
  }
  if (error instanceof MethodNotAllowedError) {
    return { body: {}, headers: { allow: error.allow.join(', ') } };
  }
  if (error instanceof UnauthorizedError) {
    const challenge = error.presented
      ? 'Bearer realm="concord", error="invalid_token"'
      : 'Bearer realm="concord"';
    return { body: {}, headers: { 'www-authenticate': challenge } };
  }
  if (error instanceof ForbiddenError) {
    return {
      body: {},
      headers: { 'www-authenticate': 'Bearer realm="concord", error="insufficient_scope"' },
    };
  }
  if (error instanceof RateLimitedError) {
    return {
      body: { retryAfter: error.rate.resetSeconds },
      headers: { 'retry-after': String(error.rate.resetSeconds), ...rateHeaders(error.rate) },
    };
  }
  if (error instanceof LockHeldError) {
    return {
      body: {
        retryAfter: error.retryAfterSeconds,
        leaseExpiresAt: new Date(error.leaseExpiresAt).toISOString(),
      },
      headers: { 'retry-after': String(error.retryAfterSeconds) },
    };
  }
  if (error instanceof VersionIsDeletionError || error instanceof NothingToRestoreError) {
    return { body: { version: error.version }, headers: {} };
  }
  if (error instanceof LockLostError) {
    return { body: { currentFencingToken: error.currentFencing }, headers: {} };
  }
  if (error instanceof IdempotencyInFlightError || error instanceof TransactionConflictError) {
    return { body: {}, headers: { 'retry-after': '1' } };
  }
  if (error instanceof UnavailableError) {
    return {
      body: { retryAfter: error.retryAfterSeconds },
      headers: { 'retry-after': String(error.retryAfterSeconds) },
    };
  }
  return { body: {}, headers: {} };
};

/** Where a recorded conflict lives: its id and URL, in every 409 that recorded one. */
export const conflictLink = (id: string) => ({ id, url: `/v1/conflicts/${id}` });

export interface ProblemContext {
  readonly profile: HttpProfile;
  /** The request path, used as the problem `instance`. */
  readonly instance: string;
  /** Where documents of the request's collection live, to resolve `location`. */
  readonly collectionPath?: string;
}

/** The problem+json response for any thrown value. */
export const problemResponse = (
  error: unknown,
  context: ProblemContext,
): APIGatewayProxyStructuredResultV2 => {
  if (!(error instanceof DomainError)) {
    return {
      statusCode: 500,
      headers: { 'content-type': PROBLEM_CONTENT_TYPE },
      body: JSON.stringify({
        type: problemTypeUri('internal'),
        title: 'Internal server error',
        status: 500,
        detail: 'The server failed to answer this request. It has been logged.',
        instance: context.instance,
        retryable: true,
      }),
    };
  }
  const status = statusFor(error, context.profile);
  const { body, headers } = extensions(error);
  if (error.conflictId !== undefined) body.conflict = conflictLink(error.conflictId);
  if (typeof body.location === 'string' && context.collectionPath) {
    body.location = `${context.collectionPath}/${encodeURIComponent(body.location)}`;
    headers.location = body.location as string;
  }
  return {
    statusCode: status,
    headers: { 'content-type': PROBLEM_CONTENT_TYPE, ...headers },
    body: JSON.stringify({
      type: problemTypeUri(error.code),
      title: STATUS[error.code].title,
      status,
      detail: error.message,
      instance: context.instance,
      retryable: error.retryable,
      ...body,
    }),
  };
};
