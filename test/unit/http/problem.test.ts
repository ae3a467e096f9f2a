import { describe, expect, it } from 'vitest';
import {
  AlreadyExistsError,
  BadRequestError,
  ConflictResolvedError,
  type DomainError,
  type ErrorCode,
  ForbiddenError,
  IdempotencyInFlightError,
  IdempotencyKeyReusedError,
  LockHeldError,
  LockLostError,
  MergeClashError,
  MethodNotAllowedError,
  NotFoundError,
  NothingToRestoreError,
  PatchTestFailedError,
  PayloadTooLargeError,
  PreconditionRequiredError,
  RateLimitedError,
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
} from '../../../functions/core/errors';
import { type ItemView, viewOf } from '../../../functions/core/items-model';
import { type ProblemContext, problemResponse } from '../../../functions/http/problem';

const current: ItemView = viewOf({
  id: 'a b',
  version: 4,
  deleted: false,
  body: { title: 't' },
  updatedAt: '2024-01-01T00:00:00.000Z',
});

const DEFAULT: ProblemContext = {
  profile: 'default',
  instance: '/v1/notes/a%20b',
  collectionPath: '/v1/notes',
};
const STRICT: ProblemContext = { ...DEFAULT, profile: 'strict-http' };

const answer = (error: unknown, context: ProblemContext = DEFAULT) => {
  const response = problemResponse(error, context);
  return { ...response, json: JSON.parse(String(response.body)) as Record<string, unknown> };
};

describe('problemResponse', () => {
  const rate = { policy: 'default', quota: 5, windowSeconds: 60, remaining: 0, resetSeconds: 7 };
  // Keyed by code, so the type checker insists on one row per ErrorCode.
  const byCode: Record<ErrorCode, [DomainError, number]> = {
    'bad-request': [new BadRequestError('x'), 400],
    unauthorized: [new UnauthorizedError('x', false), 401],
    forbidden: [new ForbiddenError('x'), 403],
    'not-found': [new NotFoundError('x'), 404],
    'method-not-allowed': [new MethodNotAllowedError('x', ['GET']), 405],
    'already-exists': [new AlreadyExistsError('x', current), 409],
    'unique-violation': [new UniqueViolationError('x', 'email', 'a b'), 409],
    'version-mismatch': [new VersionMismatchError('x', current), 409],
    'patch-test-failed': [new PatchTestFailedError('x', current, '/version'), 409],
    'payload-too-large': [new PayloadTooLargeError('x', 10), 413],
    'unsupported-media-type': [new UnsupportedMediaTypeError('x', ['application/json']), 415],
    'validation-failed': [new ValidationError('x', []), 422],
    'precondition-required': [new PreconditionRequiredError('x'), 428],
    'rate-limited': [new RateLimitedError('x', rate), 429],
    'idempotency-key-reused': [new IdempotencyKeyReusedError('x'), 422],
    'idempotency-in-flight': [new IdempotencyInFlightError('x'), 409],
    'transaction-conflict': [new TransactionConflictError('x'), 409],
    'transaction-expired': [new TransactionExpiredError('x', 0), 410],
    'transaction-closed': [new TransactionClosedError('x', 'aborted'), 409],
    'version-is-deletion': [new VersionIsDeletionError('x', 3), 410],
    'nothing-to-restore': [new NothingToRestoreError('x', 3), 422],
    'lock-held': [new LockHeldError('x', Date.parse('2024-01-01T00:00:30Z'), 30), 409],
    'lock-lost': [new LockLostError('x', 4), 409],
    'conflict-resolved': [new ConflictResolvedError('x', 3), 409],
    unavailable: [new UnavailableError('x', 1), 503],
  };
  const table = Object.entries(byCode).map(
    ([code, [error, status]]) => [error, status, code] as const,
  );

  it.each(table)('maps %o to %i with its problem type', (error, status, code) => {
    const { statusCode, headers, json } = answer(error);
    expect(statusCode).toBe(status);
    expect(headers?.['content-type']).toBe('application/problem+json');
    expect(json).toMatchObject({
      type: `/docs#problem-${code}`,
      status,
      detail: 'x',
      instance: '/v1/notes/a%20b',
      retryable: [
        'unavailable',
        'rate-limited',
        'idempotency-in-flight',
        'transaction-conflict',
        'lock-held',
      ].includes(code),
    });
    expect(typeof json.title).toBe('string');
  });

  it('answers 409 with the current ETag when If-Match is stale', () => {
    const { statusCode, headers, json } = answer(
      new VersionMismatchError('stale', current, 'if-match'),
    );
    expect(statusCode).toBe(409);
    expect(headers).toEqual({ 'content-type': 'application/problem+json', etag: '"4"' });
    expect(json).toEqual({
      type: '/docs#problem-version-mismatch',
      title: 'The document has changed',
      status: 409,
      detail: 'stale',
      instance: '/v1/notes/a%20b',
      retryable: false,
      current: { version: 4, etag: '"4"', document: { id: 'a b', version: 4, title: 't' } },
    });
  });

  it('answers 412 in the strict profile only for failures of a precondition header', () => {
    expect(answer(new VersionMismatchError('x', current, 'if-match'), STRICT).statusCode).toBe(412);
    expect(
      answer(new VersionMismatchError('x', current, 'if-none-match'), STRICT).json.status,
    ).toBe(412);
    expect(answer(new AlreadyExistsError('x', current, 'if-none-match'), STRICT).statusCode).toBe(
      412,
    );
    expect(answer(new VersionMismatchError('x', current), STRICT).statusCode).toBe(409);
    expect(answer(new AlreadyExistsError('x', current), STRICT).statusCode).toBe(409);
    expect(answer(new PatchTestFailedError('x', current, '/a'), STRICT).statusCode).toBe(409);
    expect(answer(new PreconditionRequiredError('x'), STRICT).statusCode).toBe(428);
  });

  it('answers 409 for precondition failures in the default profile', () => {
    expect(answer(new VersionMismatchError('x', current, 'if-match')).statusCode).toBe(409);
    expect(answer(new AlreadyExistsError('x', current, 'if-none-match')).statusCode).toBe(409);
  });

  it('points to the existing document of an already-exists answer', () => {
    const { headers, json } = answer(new AlreadyExistsError('exists', current));
    expect(headers).toEqual({
      'content-type': 'application/problem+json',
      etag: '"4"',
      location: '/v1/notes/a%20b',
    });
    expect(json.location).toBe('/v1/notes/a%20b');
    expect(json.current).toEqual({
      version: 4,
      etag: '"4"',
      document: { id: 'a b', version: 4, title: 't' },
    });
  });

  it('names the field of a unique violation and the document that holds the value', () => {
    const { statusCode, headers, json } = answer(new UniqueViolationError('taken', 'email', 'a b'));
    expect(statusCode).toBe(409);
    expect(headers?.location).toBe('/v1/notes/a%20b');
    expect(json).toMatchObject({
      type: '/docs#problem-unique-violation',
      field: 'email',
      location: '/v1/notes/a%20b',
      retryable: false,
    });
  });

  it('tells how long to wait when the database is unavailable', () => {
    const { statusCode, headers, json } = answer(
      new UnavailableError('down', 3, { cause: new Error('ECONNREFUSED secret-host') }),
    );
    expect(statusCode).toBe(503);
    expect(headers?.['retry-after']).toBe('3');
    expect(json.retryAfter).toBe(3);
    expect(json.retryable).toBe(true);
    expect(String(JSON.stringify(json))).not.toContain('secret-host');
  });

  it('asks to retry shortly when a write kept meeting other transactions', () => {
    for (const error of [new TransactionConflictError('x'), new IdempotencyInFlightError('x')]) {
      const { statusCode, headers, json } = answer(error);
      expect([statusCode, headers?.['retry-after'], json.retryable]).toEqual([409, '1', true]);
    }
  });

  it('lists every refused operation of a transaction with its reason and members, not retryable', () => {
    const { statusCode, headers, json } = answer(
      new TransactionConflictError('2 operations failed', {
        failures: [
          {
            index: 0,
            op: 'create',
            collection: 'notes',
            id: 'a b',
            error: new AlreadyExistsError('exists', current),
          },
          {
            index: 2,
            op: 'replace',
            collection: 'notes',
            id: 'c',
            error: new LockHeldError('held', Date.parse('2024-01-01T00:00:30Z'), 30),
          },
        ],
      }),
    );
    expect([statusCode, headers?.['retry-after'], json.retryable]).toEqual([409, undefined, false]);
    expect(json.failed).toEqual([
      {
        index: 0,
        op: 'create',
        collection: 'notes',
        id: 'a b',
        reason: 'already-exists',
        detail: 'exists',
        current: { version: 4, etag: '"4"', document: current.document },
        location: '/v1/notes/a%20b',
      },
      {
        index: 2,
        op: 'replace',
        collection: 'notes',
        id: 'c',
        reason: 'lock-held',
        detail: 'held',
        retryAfter: 30,
        leaseExpiresAt: '2024-01-01T00:00:30.000Z',
      },
    ]);
  });

  it('tells when a staged transaction expired, and which way it was closed', () => {
    expect(
      answer(new TransactionExpiredError('x', Date.parse('2024-01-01T00:00:00Z'))).json.expiresAt,
    ).toBe('2024-01-01T00:00:00.000Z');
    expect(answer(new TransactionClosedError('x', 'committed')).json.state).toBe('committed');
  });

  it('locates the problems of a malformed body', () => {
    const errors = [{ pointer: '/operations', message: 'an array of operations' }];
    expect(answer(new BadRequestError('x', errors)).json.errors).toEqual(errors);
  });

  it('carries the pointer and state of a failed JSON Patch test', () => {
    const { headers, json } = answer(new PatchTestFailedError('t', current, '/version'));
    expect(headers?.etag).toBe('"4"');
    expect(json.pointer).toBe('/version');
  });

  it('carries validation errors, limits, accepted types and allowed methods', () => {
    const issues = [{ pointer: '/a', message: 'must be string' }];
    expect(answer(new ValidationError('v', issues)).json.errors).toEqual(issues);
    expect(answer(new PayloadTooLargeError('p', 99)).json.limitBytes).toBe(99);
    const media = answer(new UnsupportedMediaTypeError('m', ['a/b', 'c/d']));
    expect(media.json.accepted).toEqual(['a/b', 'c/d']);
    expect(media.headers?.accept).toBe('a/b, c/d');
    expect(answer(new MethodNotAllowedError('n', ['GET', 'HEAD'])).headers?.allow).toBe(
      'GET, HEAD',
    );
  });

  it('answers a generic 500 that shows nothing of a non-domain error', () => {
    const secret = new TypeError('Cannot read properties of undefined (reading "tableSecret")');
    for (const error of [secret, 'a string', { code: 'ConditionalCheckFailedException' }]) {
      const response = answer(error);
      expect(response.statusCode).toBe(500);
      expect(response.headers).toEqual({ 'content-type': 'application/problem+json' });
      expect(response.json).toEqual({
        type: '/docs#problem-internal',
        title: 'Internal server error',
        status: 500,
        detail: 'The server failed to answer this request. It has been logged.',
        instance: '/v1/notes/a%20b',
        retryable: true,
      });
    }
  });

  it('lists the clashing paths of a merge, and names the recorded conflict', () => {
    const error = new MergeClashError('x', current, 1, [
      { path: '/s', base: 'a', theirs: 'b', ours: 'c' },
    ]);
    error.conflictId = '01J0000000000000000000000A';
    const { statusCode, json } = answer(error);
    expect(statusCode).toBe(409);
    expect(json).toMatchObject({
      type: '/docs#problem-version-mismatch',
      baseVersion: 1,
      baseKept: true,
      clashes: [{ path: '/s', base: 'a', theirs: 'b', ours: 'c' }],
      conflict: {
        id: '01J0000000000000000000000A',
        url: '/v1/conflicts/01J0000000000000000000000A',
      },
    });
  });
});
