import { describe, expect, it } from 'vitest';
import { ConcordClient, ConflictError, ValidationError } from '../../../client/index';
import {
  doc,
  type FakeServer,
  fakeServer,
  problem,
  recordingSleep,
  versionMismatch,
} from './fake-server';

type Counter = { count: number; tags?: string[] };

/**
 * A client whose every request takes `roundTripMs` on a clock that only requests move,
 * so the choice between reusing a conflict answer and reading again is deterministic.
 */
function clientFor(server: FakeServer, random = () => 0.5, roundTripMs = 20) {
  const { delays, sleep } = recordingSleep();
  let clock = 0;
  const client = new ConcordClient({
    baseUrl: 'https://api.test',
    fetch: (input, init) => {
      clock += roundTripMs;
      return server.fetch(input, init);
    },
    random,
    sleep,
    now: () => clock,
  });
  return { client, delays };
}

const increment = (d: Counter) => ({ ...d, count: d.count + 1 });

describe('update()', () => {
  it('re-applies mutate to the conflict body without a second GET', async () => {
    const server = fakeServer(
      doc(200, { id: 'c', count: 1, version: 1 }),
      versionMismatch({ id: 'c', count: 10, version: 4 }),
      doc(200, { id: 'c', count: 11, version: 5 }),
    );
    const { client, delays } = clientFor(server);
    const seenByMutate: unknown[] = [];
    const result = await client.update<Counter>('counters', 'c', (d) => {
      seenByMutate.push(d);
      return increment(d);
    });

    expect(server.calls()).toEqual([
      'GET /v1/counters/c',
      'PUT /v1/counters/c',
      'PUT /v1/counters/c',
    ]);
    expect(server.seen.map((r) => r.headers['if-match'])).toEqual([undefined, '"1"', '"4"']);
    // id and version are named by the path and If-Match, never by the body.
    expect(server.seen.slice(1).map((r) => JSON.parse(r.body ?? ''))).toEqual([
      { count: 2 },
      { count: 11 },
    ]);
    expect(seenByMutate).toEqual([
      { id: 'c', count: 1, version: 1 },
      { id: 'c', count: 10, version: 4 },
    ]);
    expect(result).toMatchObject({ version: 5, etag: '"5"', document: { count: 11 } });
    expect(delays).toEqual([0.5 * 20]);
  });

  it('starts the next update of a document from its own last write, without a GET', async () => {
    const server = fakeServer(
      doc(200, { id: 'c', count: 1, version: 1 }),
      doc(200, { id: 'c', count: 2, version: 2 }),
      doc(200, { id: 'c', count: 3, version: 3 }),
    );
    const { client } = clientFor(server);
    await client.update<Counter>('counters', 'c', increment);
    const second = await client.update<Counter>('counters', 'c', increment);
    expect(server.calls()).toEqual([
      'GET /v1/counters/c',
      'PUT /v1/counters/c',
      'PUT /v1/counters/c',
    ]);
    expect(server.seen[2]?.headers['if-match']).toBe('"2"');
    expect(JSON.parse(server.seen[2]?.body ?? '')).toEqual({ count: 3 });
    expect(second.version).toBe(3);
  });

  it('pays for a stale starting point with the refusal that carries the current state', async () => {
    const server = fakeServer(
      doc(200, { id: 'c', count: 1, version: 1 }),
      doc(200, { id: 'c', count: 2, version: 2 }),
      // Another client wrote version 3 in between.
      versionMismatch({ id: 'c', count: 10, version: 3 }),
      doc(200, { id: 'c', count: 11, version: 4 }),
    );
    const { client } = clientFor(server);
    await client.update<Counter>('counters', 'c', increment);
    await client.update<Counter>('counters', 'c', increment);
    expect(server.calls()).toEqual([
      'GET /v1/counters/c',
      'PUT /v1/counters/c',
      'PUT /v1/counters/c',
      'PUT /v1/counters/c',
    ]);
    expect(server.seen.map((r) => r.headers['if-match'])).toEqual([undefined, '"1"', '"2"', '"3"']);
    expect(JSON.parse(server.seen[3]?.body ?? '')).toEqual({ count: 11 });
  });

  it('reads again after a failed update that left no current state', async () => {
    const server = fakeServer(
      doc(200, { id: 'c', count: 1, version: 1 }),
      problem(404, 'not-found'),
      doc(200, { id: 'c', count: 5, version: 7 }),
      doc(200, { id: 'c', count: 6, version: 8 }),
    );
    const { client } = clientFor(server);
    await expect(client.update<Counter>('counters', 'c', increment)).rejects.toThrow();
    await client.update<Counter>('counters', 'c', increment);
    expect(server.calls()).toEqual([
      'GET /v1/counters/c',
      'PUT /v1/counters/c',
      'GET /v1/counters/c',
      'PUT /v1/counters/c',
    ]);
  });

  it('handles the strict profile 412 the same way', async () => {
    const server = fakeServer(
      doc(200, { id: 'c', count: 1, version: 1 }),
      versionMismatch({ id: 'c', count: 3, version: 2 }, 412),
      doc(200, { id: 'c', count: 4, version: 3 }),
    );
    const { client } = clientFor(server);
    await client.update<Counter>('counters', 'c', increment);
    expect(server.calls()).toEqual([
      'GET /v1/counters/c',
      'PUT /v1/counters/c',
      'PUT /v1/counters/c',
    ]);
    expect(JSON.parse(server.seen[2]?.body ?? '')).toEqual({ count: 4 });
  });

  it('accepts an async mutate', async () => {
    const server = fakeServer(
      doc(200, { id: 'c', count: 1, version: 1 }),
      doc(200, { id: 'c', count: 2, version: 2 }),
    );
    const { client } = clientFor(server);
    await client.update<Counter>('counters', 'c', async (d) => increment(d));
    expect(JSON.parse(server.seen[1]?.body ?? '')).toEqual({ count: 2 });
  });

  it('gives up after maxAttempts PUTs with the last ConflictError, backing off with full jitter', async () => {
    const conflicts = [2, 3, 4, 5].map((v) => versionMismatch({ id: 'c', count: v, version: v }));
    const server = fakeServer(doc(200, { id: 'c', count: 1, version: 1 }), ...conflicts);
    const { client, delays } = clientFor(server, () => 1);
    const error = await client
      .update<Counter>('counters', 'c', increment, {
        maxAttempts: 4,
        baseDelayMs: 10,
        maxDelayMs: 30,
      })
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).current?.version).toBe(5);
    expect(server.calls()).toEqual(['GET /v1/counters/c', ...Array(4).fill('PUT /v1/counters/c')]);
    expect(server.seen.map((r) => r.headers['if-match'])).toEqual([
      undefined,
      '"1"',
      '"2"',
      '"3"',
      '"4"',
    ]);
    // random() = 1 shows each ceiling: min(cap, base * 2^n); no wait after the last attempt.
    expect(delays).toEqual([10, 20, 30]);
  });

  it('defaults to 10 attempts, waiting at most 500 ms between them', async () => {
    const conflicts = Array.from({ length: 10 }, (_, i) =>
      versionMismatch({ id: 'c', count: 0, version: i + 2 }),
    );
    const server = fakeServer(doc(200, { id: 'c', count: 0, version: 1 }), ...conflicts);
    // Round trips as long as the waits: every retry reuses the conflict answer.
    const { client, delays } = clientFor(server, () => 1, 500);
    await expect(client.update<Counter>('counters', 'c', increment)).rejects.toBeInstanceOf(
      ConflictError,
    );
    expect(server.seen).toHaveLength(11);
    expect(delays).toEqual([20, 40, 80, 160, 320, 500, 500, 500, 500]);
  });

  it('reads again before retrying when it waited longer than two round trips', async () => {
    const server = fakeServer(
      doc(200, { id: 'c', count: 1, version: 1 }),
      versionMismatch({ id: 'c', count: 2, version: 2 }),
      versionMismatch({ id: 'c', count: 3, version: 3 }),
      doc(200, { id: 'c', count: 9, version: 9 }),
      doc(200, { id: 'c', count: 10, version: 10 }),
    );
    // Round trips of 10 ms; waits of 20 ms (not longer than two), then 40 ms (longer).
    const { client, delays } = clientFor(server, () => 1, 10);
    await client.update<Counter>('counters', 'c', increment);
    expect(delays).toEqual([20, 40]);
    expect(server.calls()).toEqual([
      'GET /v1/counters/c',
      'PUT /v1/counters/c',
      'PUT /v1/counters/c',
      'GET /v1/counters/c',
      'PUT /v1/counters/c',
    ]);
    expect(server.seen.map((r) => r.headers['if-match'])).toEqual([
      undefined,
      '"1"',
      '"2"',
      undefined,
      '"9"',
    ]);
    expect(JSON.parse(server.seen[4]?.body ?? '')).toEqual({ count: 10 });
  });

  it('retries immediately with backoff: false', async () => {
    const server = fakeServer(
      doc(200, { id: 'c', count: 1, version: 1 }),
      versionMismatch({ id: 'c', count: 2, version: 2 }),
      doc(200, { id: 'c', count: 3, version: 3 }),
    );
    const { client, delays } = clientFor(server);
    await client.update<Counter>('counters', 'c', increment, { backoff: false });
    expect(server.seen).toHaveLength(3);
    expect(delays).toEqual([]);
  });

  it('reads again only when a conflict answer lacks the current state', async () => {
    const server = fakeServer(
      doc(200, { id: 'c', count: 1, version: 1 }),
      new Response('', { status: 412 }),
      doc(200, { id: 'c', count: 7, version: 2 }),
      doc(200, { id: 'c', count: 8, version: 3 }),
    );
    const { client } = clientFor(server);
    await client.update<Counter>('counters', 'c', increment);
    expect(server.calls()).toEqual([
      'GET /v1/counters/c',
      'PUT /v1/counters/c',
      'GET /v1/counters/c',
      'PUT /v1/counters/c',
    ]);
    expect(JSON.parse(server.seen[3]?.body ?? '')).toEqual({ count: 8 });
  });

  it('does not retry other conflicts or client errors', async () => {
    const server = fakeServer(
      doc(200, { id: 'c', count: 1, version: 1 }),
      problem(422, 'validation-failed', { errors: [] }),
    );
    const { client } = clientFor(server);
    await expect(client.update<Counter>('counters', 'c', increment)).rejects.toBeInstanceOf(
      ValidationError,
    );
    expect(server.seen).toHaveLength(2);
  });
});
