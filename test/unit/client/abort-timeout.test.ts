import { describe, expect, it } from 'vitest';
import {
  AbortedError,
  ConcordClient,
  type FetchLike,
  RateLimitedError,
  TimeoutError,
} from '../../../client/index';
import { doc, fakeServer, problem, versionMismatch } from './fake-server';

/** A fetch that never answers but rejects when its signal aborts, like the platform's. */
const hangingFetch: FetchLike = (_input, init) =>
  new Promise((_resolve, reject) => {
    init.signal?.addEventListener('abort', () => reject(init.signal?.reason));
  });

describe('abort and timeout', () => {
  it('rejects promptly when aborted during a Retry-After wait (default sleep)', async () => {
    const server = fakeServer(
      problem(503, 'unavailable', {}, { 'retry-after': '30' }),
      doc(200, { id: 'a', version: 1 }),
    );
    const client = new ConcordClient({
      baseUrl: 'https://api.test',
      fetch: server.fetch,
      retry: { maxRetryAfterMs: 60_000 },
    });
    const controller = new AbortController();
    const reason = new Error('user left');
    const started = Date.now();
    setTimeout(() => controller.abort(reason), 20);

    const error = await client
      .get('items', 'a', { signal: controller.signal, timeoutMs: 0 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortedError);
    expect((error as AbortedError).name).toBe('AbortError');
    expect((error as AbortedError).cause).toBe(reason);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(server.seen).toHaveLength(1);
  });

  it('rejects promptly when aborted during an update() backoff', async () => {
    const server = fakeServer(
      doc(200, { id: 'c', version: 1 }),
      versionMismatch({ id: 'c', version: 2 }),
    );
    const client = new ConcordClient({
      baseUrl: 'https://api.test',
      fetch: server.fetch,
      random: () => 1,
    });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 20);
    const started = Date.now();
    const error = await client
      .update('items', 'c', (d) => d, {
        signal: controller.signal,
        baseDelayMs: 60_000,
        maxDelayMs: 60_000,
      })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AbortedError);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(server.calls()).toEqual(['GET /v1/items/c', 'PUT /v1/items/c']);
  });

  it('does not send anything when the signal is already aborted', async () => {
    const server = fakeServer(doc(200, { id: 'a', version: 1 }));
    const client = new ConcordClient({ baseUrl: 'https://api.test', fetch: server.fetch });
    await expect(client.get('items', 'a', { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      AbortedError,
    );
    expect(server.seen).toHaveLength(0);
  });

  it('times out a request that never answers and passes the signal to fetch', async () => {
    const signals: (AbortSignal | null | undefined)[] = [];
    const fetch: FetchLike = (input, init) => {
      signals.push(init.signal);
      return hangingFetch(input, init);
    };
    const client = new ConcordClient({ baseUrl: 'https://api.test', fetch, timeoutMs: 5_000 });
    const error = await client.get('items', 'a', { timeoutMs: 30 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TimeoutError);
    expect(error).toMatchObject({ timeoutMs: 30, status: 0, code: 'timeout' });
    expect(signals).toHaveLength(1);
    expect(signals[0]?.aborted).toBe(true);
  });

  it('times out even when an injected fetch ignores its signal', async () => {
    const client = new ConcordClient({
      baseUrl: 'https://api.test',
      fetch: () => new Promise<Response>(() => {}),
      timeoutMs: 30,
    });
    await expect(client.get('items', 'a')).rejects.toBeInstanceOf(TimeoutError);
  });

  it('ends with the rate-limit error, not a timeout, when Retry-After outlasts the deadline', async () => {
    const server = fakeServer(problem(429, 'rate-limited', {}, { 'retry-after': '10' }));
    const client = new ConcordClient({
      baseUrl: 'https://api.test',
      fetch: server.fetch,
      timeoutMs: 2_000,
    });
    const started = Date.now();
    await expect(client.get('items', 'a')).rejects.toBeInstanceOf(RateLimitedError);
    expect(Date.now() - started).toBeLessThan(500);
  });
});
