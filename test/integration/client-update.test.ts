/**
 * `ConcordClient.update()` racing itself against the real server: many writers
 * read-modify-write one document and not a single increment may be lost.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcordClient, ConflictError, type FetchLike } from '../../client/index';
import { freshId } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';

interface Counter {
  n: number;
}

let api: TestApi;
let client: ConcordClient;

beforeAll(async () => {
  api = await startApi();
  client = new ConcordClient({ baseUrl: api.baseUrl, apiKey: api.apiKey });
});
afterAll(() => api.close());

const increment = (doc: Counter): Counter => ({ ...doc, n: doc.n + 1 });

describe('update() under contention', () => {
  it('loses no increment when 16 writers each add 1 ten times', async () => {
    const id = freshId();
    await client.create<Counter>('items', { id, n: 0 });
    const writers = Array.from({ length: 16 }, async () => {
      for (let i = 0; i < 10; i++) {
        // Enough attempts that 16-way contention never gives up; a give-up would fail the test.
        await client.update<Counter>('items', id, increment, { maxAttempts: 100 });
      }
    });
    const outcomes = await Promise.allSettled(writers);
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);

    const final = await client.get<Counter>('items', id);
    expect(final.document.n).toBe(160);
    expect(final.version).toBe(161);
    expect(final.etag).toBe('"161"');
    // 160 contended writes take ~20 s alone on a shared 2-core machine: room for a busy one.
  }, 120_000);

  it('re-applies the mutation to the winner of a conflict without reading again', async () => {
    const id = freshId();
    await client.create<Counter>('items', { id, n: 0 });
    let requests = 0;
    const counting = new ConcordClient({
      baseUrl: api.baseUrl,
      apiKey: api.apiKey,
      fetch: (input, init) => {
        requests++;
        return fetch(input, init);
      },
    });
    let calls = 0;
    const result = await counting.update<Counter>(
      'items',
      id,
      async (doc) => {
        calls++;
        // A competing writer lands between this client's read and its write, once.
        if (calls === 1) await client.replace<Counter>('items', id, { n: 100 }, { ifMatch: 1 });
        return increment(doc);
        // Without a backoff wait: after a long one, update() reads again on purpose.
      },
      { backoff: false },
    );
    expect(result.document.n).toBe(101);
    expect(result.version).toBe(3);
    // GET, stale PUT (409 carrying the winner), PUT: no second GET.
    expect(requests).toBe(3);
  });

  it('rejects with the last ConflictError once maxAttempts is spent', async () => {
    const id = freshId();
    await client.create<Counter>('items', { id, n: 0 });
    let version = 1;
    const rejected = client.update<Counter>(
      'items',
      id,
      async (doc) => {
        // Every attempt is overtaken by another write before it is sent.
        await client.replace<Counter>('items', id, { n: -1 }, { ifMatch: version });
        version++;
        return increment(doc);
      },
      { maxAttempts: 3, backoff: false },
    );
    const error = await rejected.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ status: 409, code: 'version-mismatch' });
    expect((error as ConflictError<Counter>).current?.version).toBe(4);
    expect((await client.get<Counter>('items', id)).document.n).toBe(-1);
  });
});

describe('update() with a lease and an Idempotency-Key', () => {
  it('writes through the lease it is given inside withLock, and is refused without it', async () => {
    const id = freshId();
    await client.create<Counter>('items', { id, n: 0 });
    await client.withLock('items', id, async ({ lockToken }) => {
      const refused = await client
        .update<Counter>('items', id, increment, { maxAttempts: 1 })
        .catch((error: unknown) => error);
      expect(refused).toBeInstanceOf(ConflictError);
      expect((refused as ConflictError).code).toBe('lock-held');
      const done = await client.update<Counter>('items', id, increment, { lockToken });
      expect(done.document.n).toBe(1);
    });
  });

  it('sends <key>.<attempt> on each write, so a retried attempt is answered, not applied twice', async () => {
    const id = freshId();
    await client.create<Counter>('items', { id, n: 0 });
    const sent: Array<string | null> = [];
    let lose = 1;
    // The first PUT reaches the server but its answer is lost on the way back.
    const losing: FetchLike = async (input, init) => {
      const response = await fetch(input, init);
      if (init?.method === 'PUT') {
        sent.push(new Headers(init.headers).get('idempotency-key'));
        if (lose-- > 0) {
          await response.arrayBuffer();
          throw new TypeError('fetch failed: connection reset');
        }
      }
      return response;
    };
    const retrying = new ConcordClient({
      baseUrl: api.baseUrl,
      apiKey: api.apiKey,
      fetch: losing,
      random: () => 0,
    });
    const key = `update-${id}`;
    const done = await retrying.update<Counter>('items', id, increment, { idempotencyKey: key });
    expect(sent).toEqual([`${key}.1`, `${key}.1`]);
    expect(done.document.n).toBe(1);
    const stored = await client.get<Counter>('items', id);
    expect(stored.document.n).toBe(1);
    expect(stored.version).toBe(2);
  });
});
