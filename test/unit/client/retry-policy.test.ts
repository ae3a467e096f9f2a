import { describe, expect, it } from 'vitest';
import {
  ConcordClient,
  type ConcordError,
  NetworkError,
  RateLimitedError,
  UnavailableError,
} from '../../../client/index';
import {
  doc,
  type FakeServer,
  fakeServer,
  json,
  problem,
  recordingSleep,
  UUID,
} from './fake-server';

const stored = { id: 'a', name: 'x', version: 1 };

function clientFor(server: FakeServer, retry = {}) {
  const { delays, sleep } = recordingSleep();
  const client = new ConcordClient({
    baseUrl: 'https://api.test',
    fetch: server.fetch,
    random: () => 0.5,
    sleep,
    retry: { baseDelayMs: 100, maxDelayMs: 1000, maxAttempts: 4, ...retry },
  });
  return { client, delays };
}

describe('Retry-After', () => {
  it('waits the delay-seconds of a 503 before retrying', async () => {
    const server = fakeServer(
      problem(503, 'unavailable', {}, { 'retry-after': '2' }),
      doc(200, stored),
    );
    const { client, delays } = clientFor(server);
    await expect(client.get('items', 'a')).resolves.toMatchObject({ version: 1 });
    expect(server.calls()).toEqual(['GET /v1/items/a', 'GET /v1/items/a']);
    expect(delays).toEqual([2000]);
  });

  it('waits until the HTTP-date of a 429, even for a POST', async () => {
    // HTTP-dates have whole seconds: the wait lands in (4 s, 5 s].
    const at = Math.floor((Date.now() + 5000) / 1000) * 1000;
    const server = fakeServer(
      problem(429, 'rate-limited', {}, { 'retry-after': new Date(at).toUTCString() }),
      doc(201, stored),
    );
    const { client, delays } = clientFor(server);
    await client.create('items', { name: 'x' }, { idempotencyKey: false });
    expect(server.calls()).toEqual(['POST /v1/items', 'POST /v1/items']);
    expect(delays).toHaveLength(1);
    expect(delays[0]).toBeGreaterThan(3900);
    expect(delays[0]).toBeLessThanOrEqual(5000);
  });

  it('gives up at once when Retry-After exceeds maxRetryAfterMs, keeping the RateLimit headers', async () => {
    const headers = {
      'retry-after': '120',
      'ratelimit-policy': '"default";q=100;w=60',
      ratelimit: '"default";r=0;t=120',
    };
    const server = fakeServer(problem(429, 'rate-limited', {}, headers));
    const { client, delays } = clientFor(server, { maxRetryAfterMs: 60_000 });
    const error = await client.get('items', 'a').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(RateLimitedError);
    expect(error).toMatchObject({
      status: 429,
      code: 'rate-limited',
      retryAfterMs: 120_000,
      rateLimitPolicy: '"default";q=100;w=60',
      rateLimit: '"default";r=0;t=120',
    });
    expect(server.seen).toHaveLength(1);
    expect(delays).toEqual([]);
  });

  it('falls back to jittered backoff when a 503 has no Retry-After', async () => {
    const server = fakeServer(
      problem(503, 'unavailable'),
      problem(503, 'unavailable'),
      doc(200, stored),
    );
    const { client, delays } = clientFor(server);
    await client.get('items', 'a');
    expect(delays).toEqual([0.5 * 100, 0.5 * 200]);
  });

  it('stops after maxAttempts with the last error', async () => {
    const server = fakeServer(...Array.from({ length: 5 }, () => problem(503, 'unavailable')));
    const { client, delays } = clientFor(server, { maxAttempts: 3 });
    await expect(client.get('items', 'a')).rejects.toBeInstanceOf(UnavailableError);
    expect(server.seen).toHaveLength(3);
    expect(delays).toHaveLength(2);
  });
});

describe('Idempotency-Key and unknown outcomes', () => {
  it('does not retry a POST whose key was disabled after a network error', async () => {
    const server = fakeServer(new TypeError('fetch failed'), doc(201, stored));
    const { client, delays } = clientFor(server);
    const error = await client
      .create('items', { name: 'x' }, { idempotencyKey: false })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(NetworkError);
    expect((error as NetworkError).cause).toBeInstanceOf(TypeError);
    expect(server.seen).toHaveLength(1);
    expect(server.seen[0]?.headers['idempotency-key']).toBeUndefined();
    expect(delays).toEqual([]);
  });

  it('does not retry a keyless POST after a 502 either', async () => {
    const server = fakeServer(new Response('<html>bad gateway</html>', { status: 502 }));
    const { client } = clientFor(server);
    await expect(client.create('items', {}, { idempotencyKey: false })).rejects.toMatchObject({
      status: 502,
      code: 'bad-gateway',
    });
    expect(server.seen).toHaveLength(1);
  });

  it('retries a POST with the same generated key after a network error', async () => {
    const server = fakeServer(new TypeError('socket hang up'), doc(201, stored));
    const { client, delays } = clientFor(server);
    const result = await client.create('items', { name: 'x' });
    expect(result.created).toBe(true);
    const keys = server.seen.map((r) => r.headers['idempotency-key']);
    expect(keys).toHaveLength(2);
    expect(keys[0]).toMatch(UUID);
    expect(keys[1]).toBe(keys[0]);
    expect(server.seen[1]?.body).toBe(server.seen[0]?.body);
    expect(delays).toEqual([50]);
  });

  it('generates a new key for each call', async () => {
    const server = fakeServer(doc(201, stored), doc(201, { ...stored, id: 'b' }));
    const { client } = clientFor(server);
    await client.create('items', {});
    await client.create('items', {});
    expect(server.seen[0]?.headers['idempotency-key']).not.toBe(
      server.seen[1]?.headers['idempotency-key'],
    );
  });

  it('retries a PATCH after a 500 with the caller-supplied key', async () => {
    const server = fakeServer(problem(500, 'internal-error'), doc(200, { ...stored, version: 2 }));
    const { client } = clientFor(server);
    await client.mergePatch('items', 'a', { name: 'y' }, { ifMatch: 1, idempotencyKey: 'k-1' });
    expect(server.calls()).toEqual(['PATCH /v1/items/a', 'PATCH /v1/items/a']);
    expect(server.seen.map((r) => r.headers['idempotency-key'])).toEqual(['k-1', 'k-1']);
  });

  it('retries 409 idempotency-in-flight with the same key', async () => {
    const server = fakeServer(
      problem(409, 'idempotency-in-flight', { retryable: true }),
      doc(201, stored),
    );
    const { client } = clientFor(server);
    await client.create('items', {}, { idempotencyKey: 'k-2' });
    expect(server.seen.map((r) => r.headers['idempotency-key'])).toEqual(['k-2', 'k-2']);
  });

  it('retries a write that met other transactions and wrote nothing, even without a key', async () => {
    const server = fakeServer(
      problem(409, 'transaction-conflict', { retryable: true }),
      doc(200, stored),
    );
    const { client } = clientFor(server);
    await client.replace('items', 'a', { name: 'x' }, { ifMatch: 1 });
    expect(server.seen).toHaveLength(2);
  });

  it('does not retry a transaction-conflict the server calls final', async () => {
    const server = fakeServer(problem(409, 'transaction-conflict', { retryable: false }));
    const { client } = clientFor(server);
    await expect(client.replace('items', 'a', { name: 'x' }, { ifMatch: 1 })).rejects.toMatchObject(
      { code: 'transaction-conflict' },
    );
    expect(server.seen).toHaveLength(1);
  });

  it('does not retry a PUT without a key after a network error', async () => {
    const server = fakeServer(new TypeError('fetch failed'), doc(200, stored));
    const { client } = clientFor(server);
    await expect(
      client.replace('items', 'a', { name: 'x' }, { ifMatch: 1 }),
    ).rejects.toBeInstanceOf(NetworkError);
    expect(server.seen).toHaveLength(1);
  });

  it('retries a PUT and a DELETE that carry a key', async () => {
    const server = fakeServer(
      new TypeError('fetch failed'),
      doc(200, { ...stored, version: 2 }),
      new TypeError('fetch failed'),
      new Response(null, { status: 204 }),
    );
    const { client } = clientFor(server);
    await client.replace('items', 'a', { name: 'x' }, { ifMatch: 1, idempotencyKey: 'p' });
    await client.delete('items', 'a', { ifMatch: 2, idempotencyKey: 'd' });
    expect(server.calls()).toEqual([
      'PUT /v1/items/a',
      'PUT /v1/items/a',
      'DELETE /v1/items/a',
      'DELETE /v1/items/a',
    ]);
    expect(server.seen.map((r) => r.headers['idempotency-key'])).toEqual(['p', 'p', 'd', 'd']);
  });

  it('retries a GET after a network error and a 500', async () => {
    const server = fakeServer(
      new TypeError('fetch failed'),
      json(500, { message: 'Internal Server Error' }),
      doc(200, stored),
    );
    const { client, delays } = clientFor(server);
    await expect(client.get('items', 'a')).resolves.toMatchObject({ id: 'a' });
    expect(server.seen).toHaveLength(3);
    expect(delays).toEqual([50, 100]);
  });
});

describe('client errors are final', () => {
  it.each([
    [400, 'bad-request'],
    [404, 'not-found'],
    [422, 'validation-failed'],
    [409, 'version-mismatch'],
    [428, 'precondition-required'],
  ])('does not retry a %i %s, even on a GET', async (status, code) => {
    const server = fakeServer(problem(status, code), doc(200, stored));
    const { client, delays } = clientFor(server);
    const error = (await client.get('items', 'a').catch((e: unknown) => e)) as ConcordError;
    expect(error).toMatchObject({ status, code });
    expect(server.seen).toHaveLength(1);
    expect(delays).toEqual([]);
  });
});
