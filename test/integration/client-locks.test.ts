/** The client's leases against the real server. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcordClient, ConflictError } from '../../client/index';
import { freshId } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';

let api: TestApi;
let client: ConcordClient;
beforeAll(async () => {
  api = await startApi();
  client = new ConcordClient({ baseUrl: api.baseUrl, apiKey: api.apiKey });
});
afterAll(() => api.close());

describe('withLock', () => {
  it('serializes 8 clients incrementing one counter 5 times each: exactly 40', async () => {
    const id = freshId();
    await client.create('items', { id, n: 0 });
    const increment = () =>
      client.withLock('items', id, async ({ lockToken }) => {
        const current = await client.get<{ n: number }>('items', id);
        await client.replace(
          'items',
          id,
          { n: current.document.n + 1 },
          {
            ifMatch: current.etag,
            lockToken,
          },
        );
      });
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 5; i++) await increment();
      }),
    );
    const final = await client.get<{ n: number }>('items', id);
    expect(final.document.n).toBe(40);
    expect(final.version).toBe(41);
  });

  it('keeps the lease renewed while the work outlasts it, and releases it after', async () => {
    const id = freshId();
    await client.create('items', { id });
    const fencing = await client.withLock(
      'items',
      id,
      async (lease, signal) => {
        await new Promise((resolve) => setTimeout(resolve, 2_500));
        expect(signal.aborted).toBe(false);
        // Past the 1 s lease: only renewals kept others out.
        await expect(client.acquireLock('items', id)).rejects.toBeInstanceOf(ConflictError);
        return lease.fencingToken;
      },
      { ttlSeconds: 1 },
    );
    const next = await client.acquireLock('items', id);
    expect(next.fencingToken).toBe(fencing + 1);
    await client.releaseLock('items', id, next.lockToken);
  });

  it('gives up waiting with the lock-held error after waitMs', async () => {
    const id = freshId();
    await client.create('items', { id });
    const held = await client.acquireLock('items', id, { ttlSeconds: 60 });
    const started = Date.now();
    const error = await client
      .withLock('items', id, async () => 'never', { waitMs: 300 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect((error as ConflictError).code).toBe('lock-held');
    expect(Date.now() - started).toBeLessThan(5_000);
    await client.releaseLock('items', id, held.lockToken);
  });
});
