import { describe, expect, it } from 'vitest';
import {
  ConcordClient,
  ConcordError,
  ConflictError,
  NotFoundError,
  PreconditionRequiredError,
  UnavailableError,
  ValidationError,
} from '../../../client/index';
import { fakeServer, problem, versionMismatch } from './fake-server';

async function failureOf(answer: Response): Promise<unknown> {
  const server = fakeServer(answer);
  const client = new ConcordClient({
    baseUrl: 'https://api.test',
    fetch: server.fetch,
    retry: { maxAttempts: 1 },
  });
  return client.replace('items', 'x', { n: 1 }, { ifMatch: 1 }).then(
    () => expect.unreachable('the call should fail'),
    (error: unknown) => error,
  );
}

describe('error mapping', () => {
  it('exposes the problem fields on every error', async () => {
    const error = await failureOf(problem(404, 'not-found'));
    expect(error).toBeInstanceOf(NotFoundError);
    expect(error).toBeInstanceOf(ConcordError);
    expect(error).toMatchObject({
      status: 404,
      type: '/docs#problem-not-found',
      code: 'not-found',
      title: 'not-found',
      detail: 'detail of not-found',
      retryable: false,
      problem: { instance: '/v1/items/x' },
    });
  });

  it('carries the current document, version and ETag of a version-mismatch', async () => {
    const error = await failureOf(versionMismatch({ id: 'x', n: 9, version: 5 }));
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).current).toEqual({
      id: 'x',
      version: 5,
      etag: '"5"',
      document: { id: 'x', n: 9, version: 5 },
    });
  });

  it('maps the strict profile 412 to the same ConflictError', async () => {
    const error = await failureOf(versionMismatch({ id: 'x', version: 5 }, 412));
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ status: 412, code: 'version-mismatch', current: { version: 5 } });
  });

  it('keeps location for already-exists and pointer for patch-test-failed', async () => {
    const current = { version: 2, etag: '"2"', document: { id: 'x', version: 2 } };
    const exists = await failureOf(
      problem(409, 'already-exists', { current, location: '/v1/items/x' }),
    );
    const test = await failureOf(problem(409, 'patch-test-failed', { current, pointer: '/n' }));
    expect(exists).toMatchObject({
      code: 'already-exists',
      location: '/v1/items/x',
      current: { etag: '"2"' },
    });
    expect(test).toMatchObject({
      code: 'patch-test-failed',
      pointer: '/n',
      current: { version: 2 },
    });
  });

  it('lists the failed pointers of a validation error', async () => {
    const errors = [{ pointer: '/n', message: 'must be integer' }];
    const error = await failureOf(problem(422, 'validation-failed', { errors }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toEqual(errors);
  });

  it('maps 428 to PreconditionRequiredError and 503 to UnavailableError with retryAfterMs', async () => {
    expect(await failureOf(problem(428, 'precondition-required'))).toBeInstanceOf(
      PreconditionRequiredError,
    );
    const unavailable = await failureOf(problem(503, 'unavailable', {}, { 'retry-after': '3' }));
    expect(unavailable).toBeInstanceOf(UnavailableError);
    expect(unavailable).toMatchObject({ retryAfterMs: 3000 });
  });

  it('still builds a typed error from an HTML error page', async () => {
    const error = await failureOf(
      new Response('<html><body>Bad gateway</body></html>', { status: 502 }),
    );
    expect(error).toBeInstanceOf(ConcordError);
    expect(error).toMatchObject({
      status: 502,
      code: 'bad-gateway',
      type: 'about:blank',
      detail: '<html><body>Bad gateway</body></html>',
      retryable: true,
      problem: undefined,
    });
  });

  it("reads API Gateway's {message} body", async () => {
    const error = await failureOf(
      new Response(JSON.stringify({ message: 'Unauthorized' }), {
        status: 401,
        headers: { 'content-type': 'application/json' },
      }),
    );
    expect(error).toMatchObject({
      status: 401,
      code: 'unauthorized',
      detail: 'Unauthorized',
      retryable: false,
    });
    expect((error as Error).message).toBe('401 unauthorized: Unauthorized');
  });

  it('maps an opaque 404 to NotFoundError and an opaque 409 to a ConflictError without current', async () => {
    expect(await failureOf(new Response('', { status: 404 }))).toBeInstanceOf(NotFoundError);
    const conflict = await failureOf(new Response('nope', { status: 409 }));
    expect(conflict).toBeInstanceOf(ConflictError);
    expect((conflict as ConflictError).current).toBeUndefined();
  });
});
