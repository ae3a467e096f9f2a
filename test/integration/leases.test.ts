/**
 * Leases through real HTTP against DynamoDB Local: one holder at a time,
 * expiry and takeover with a larger fencing token, stale tokens refused.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, authedSender, freshId, problemType } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';

let api: TestApi;
const call: ReturnType<typeof authedSender> = (...args) =>
  authedSender(api.baseUrl, api.headers)(...args);

beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

const newDocument = async () => {
  const id = freshId();
  expect((await call('POST', '/v1/items', { body: { id, n: 0 } })).status).toBe(201);
  return id;
};
const acquire = (id: string, ttlSeconds?: number) =>
  call('POST', `/v1/items/${id}/lock`, ttlSeconds ? { body: { ttlSeconds } } : {});
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('leases', () => {
  it('grants exactly one of 25 racing acquisitions; the rest get lock-held with Retry-After', async () => {
    const id = await newDocument();
    const results = await Promise.allSettled(Array.from({ length: 25 }, () => acquire(id, 60)));
    const answers = results.map((r) => {
      if (r.status === 'rejected') throw r.reason;
      return r.value;
    }) as Answer[];
    const granted = answers.filter((a) => a.status === 200);
    expect(granted).toHaveLength(1);
    const grant = granted[0]?.body;
    expect(grant).toMatchObject({ fencingToken: 1, ttlSeconds: 60 });
    expect(grant.lockToken).toMatch(/^1:[A-Za-z0-9_-]{24}$/);
    expect(granted[0]?.headers.get('lock-token')).toBe(grant.lockToken);
    for (const refused of answers.filter((a) => a.status !== 200)) {
      expect(refused.status).toBe(409);
      expect(refused.body.type).toBe(problemType('lock-held'));
      expect(refused.body.retryable).toBe(true);
      expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
      expect(refused.body.leaseExpiresAt).toBe(grant.expiresAt);
    }
  });

  it('lets only the holder write while the lease lasts', async () => {
    const id = await newDocument();
    const { lockToken } = (await acquire(id)).body;
    const without = await call('PUT', `/v1/items/${id}`, {
      body: { n: 1 },
      headers: { 'if-match': '"1"' },
    });
    expect(without.status).toBe(409);
    expect(without.body.type).toBe(problemType('lock-held'));
    for (const method of ['PATCH', 'DELETE']) {
      const other = await call(method, `/v1/items/${id}`, {
        ...(method === 'PATCH' ? { raw: '{"n":1}' } : {}),
        headers: { 'if-match': '"1"', 'content-type': 'application/merge-patch+json' },
      });
      expect(other.status, method).toBe(409);
    }
    const holder = await call('PUT', `/v1/items/${id}`, {
      body: { n: 1 },
      headers: { 'if-match': '"1"', 'lock-token': lockToken },
    });
    expect(holder.status).toBe(200);
    expect(holder.body).toEqual({ id, version: 2, n: 1 });
  });

  it('releases, after which anyone writes and the next lease has a larger fencing token', async () => {
    const id = await newDocument();
    const first = (await acquire(id)).body;
    const released = await call('DELETE', `/v1/items/${id}/lock`, {
      headers: { 'lock-token': first.lockToken },
    });
    expect(released.status).toBe(204);
    const again = await call('DELETE', `/v1/items/${id}/lock`, {
      headers: { 'lock-token': first.lockToken },
    });
    expect(again.status).toBe(204);
    const free = await call('PUT', `/v1/items/${id}`, {
      body: { n: 1 },
      headers: { 'if-match': '"1"' },
    });
    expect(free.status).toBe(200);
    const second = (await acquire(id)).body;
    expect(second.fencingToken).toBe(first.fencingToken + 1);
  });

  it('renews a lease, and refuses to renew one that was taken over', async () => {
    const id = await newDocument();
    const first = (await acquire(id, 1)).body;
    const renewed = await call('PUT', `/v1/items/${id}/lock`, {
      body: { ttlSeconds: 1 },
      headers: { 'lock-token': first.lockToken },
    });
    expect(renewed.status).toBe(200);
    expect(Date.parse(renewed.body.expiresAt)).toBeGreaterThanOrEqual(Date.parse(first.expiresAt));
    await sleep(1_100);
    const takeover = await acquire(id, 30);
    expect(takeover.status).toBe(200);
    expect(takeover.body.fencingToken).toBe(first.fencingToken + 1);
    const late = await call('PUT', `/v1/items/${id}/lock`, {
      headers: { 'lock-token': first.lockToken },
    });
    expect(late.status).toBe(409);
    expect(late.body.type).toBe(problemType('lock-held'));
  });

  it('refuses a write with a stale fencing token, also after the new holder released', async () => {
    const id = await newDocument();
    const first = (await acquire(id, 1)).body;
    await sleep(1_100);
    const second = (await acquire(id, 30)).body;
    const stale = { body: { n: 9 }, headers: { 'if-match': '"1"', 'lock-token': first.lockToken } };
    expect((await call('PUT', `/v1/items/${id}`, stale)).body.type).toBe(problemType('lock-held'));
    await call('DELETE', `/v1/items/${id}/lock`, { headers: { 'lock-token': second.lockToken } });
    const afterRelease = await call('PUT', `/v1/items/${id}`, stale);
    expect(afterRelease.status).toBe(409);
    expect(afterRelease.body.type).toBe(problemType('lock-lost'));
    expect(afterRelease.body.currentFencingToken).toBe(second.fencingToken);
    expect((await call('GET', `/v1/items/${id}`)).body.n).toBe(0);
  });

  it('answers 404 for a missing document and 400 for a malformed token or ttl', async () => {
    expect((await acquire(freshId())).status).toBe(404);
    const id = await newDocument();
    const bad = await call('PUT', `/v1/items/${id}`, {
      body: {},
      headers: { 'if-match': '"1"', 'lock-token': 'not-a-token' },
    });
    expect(bad.status).toBe(400);
    expect((await acquire(id, 100_000)).status).toBe(400);
    expect((await call('PUT', `/v1/items/${id}/lock`)).status).toBe(400);
  });

  it('ends the lease with the document: a deleted document cannot be leased', async () => {
    const id = await newDocument();
    const { lockToken } = (await acquire(id)).body;
    const deleted = await call('DELETE', `/v1/items/${id}`, {
      headers: { 'if-match': '"1"', 'lock-token': lockToken },
    });
    expect(deleted.status).toBe(204);
    expect((await acquire(id)).status).toBe(404);
  });
});
