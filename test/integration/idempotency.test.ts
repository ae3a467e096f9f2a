/**
 * Idempotency-Key through real HTTP against DynamoDB Local: a retried write
 * answers with the first result and changes nothing, also when retries race.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../functions/core/key-admin';
import { type Answer, authedSender, freshId, problemType, send } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';

let api: TestApi;
const call: ReturnType<typeof authedSender> = (...args) =>
  authedSender(api.baseUrl, api.headers)(...args);
const key = () => `key-${freshId()}`;

beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

const listIds = async (): Promise<string[]> => {
  const ids: string[] = [];
  let cursor: string | null = null;
  do {
    const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
    const page = await call('GET', `/v1/items?limit=100${query}`);
    ids.push(...page.body.items.map((d: { id: string }) => d.id));
    cursor = page.body.nextCursor;
  } while (cursor);
  return ids;
};

describe('Idempotency-Key', () => {
  it('answers a retried POST with the first answer and creates one document', async () => {
    const headers = { 'idempotency-key': key() };
    const marker = freshId();
    const first = await call('POST', '/v1/items', { body: { marker }, headers });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const again = await call('POST', '/v1/items', { body: { marker }, headers });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('location')).toBe(first.headers.get('location'));
    expect(again.headers.get('etag')).toBe('"1"');
    const created = await Promise.all(
      (await listIds()).map(async (id) => (await call('GET', `/v1/items/${id}`)).body),
    );
    expect(created.filter((doc) => doc.marker === marker)).toHaveLength(1);
  });

  it('answers 422 when the same key comes with another request, and writes nothing', async () => {
    const headers = { 'idempotency-key': key() };
    const id = freshId();
    expect((await call('POST', '/v1/items', { body: { id }, headers })).status).toBe(201);
    const other = await call('POST', '/v1/items', { body: { id: freshId() }, headers });
    expect(other.status).toBe(422);
    expect(other.body.type).toBe(problemType('idempotency-key-reused'));
    expect((await call('GET', `/v1/items/${other.body.id ?? 'none'}`)).status).toBe(404);
  });

  it('replays a PATCH after its If-Match went stale, without patching twice', async () => {
    const id = freshId();
    await call('POST', '/v1/items', { body: { id, n: 1 } });
    const request = {
      raw: JSON.stringify({ n: 2 }),
      headers: {
        'content-type': 'application/merge-patch+json',
        'if-match': '"1"',
        'idempotency-key': key(),
      },
    };
    const first = await call('PATCH', `/v1/items/${id}`, request);
    const again = await call('PATCH', `/v1/items/${id}`, request);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual({ id, version: 2, n: 2 });
    expect((await call('GET', `/v1/items/${id}`)).body.version).toBe(2);
  });

  it('replays PUT and DELETE answers', async () => {
    const id = freshId();
    await call('POST', '/v1/items', { body: { id } });
    const put = { body: { n: 5 }, headers: { 'if-match': '"1"', 'idempotency-key': key() } };
    expect((await call('PUT', `/v1/items/${id}`, put)).status).toBe(200);
    const putAgain = await call('PUT', `/v1/items/${id}`, put);
    expect([putAgain.status, putAgain.headers.get('idempotent-replayed')]).toEqual([200, 'true']);
    const del = { headers: { 'if-match': '"2"', 'idempotency-key': key() } };
    expect((await call('DELETE', `/v1/items/${id}`, del)).status).toBe(204);
    const delAgain = await call('DELETE', `/v1/items/${id}`, del);
    expect([delAgain.status, delAgain.headers.get('idempotent-replayed')]).toEqual([204, 'true']);
  });

  it('does not store refusals: a retry is judged afresh', async () => {
    const id = freshId();
    await call('POST', '/v1/items', { body: { id } });
    const headers = { 'idempotency-key': key() };
    const refused = await call('POST', '/v1/items', { body: { id, again: true }, headers });
    expect(refused.status).toBe(409);
    const retried = await call('POST', '/v1/items', { body: { id, again: true }, headers });
    expect(retried.status).toBe(409);
    expect(retried.headers.get('idempotent-replayed')).toBeNull();
  });

  it('creates exactly one document when 10 retries of one POST race', async () => {
    const headers = { 'idempotency-key': key() };
    const marker = freshId();
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, () => call('POST', '/v1/items', { body: { marker }, headers })),
    );
    const answers = results.map((r) => {
      if (r.status === 'rejected') throw r.reason;
      return r.value;
    }) as Answer[];
    const created = answers.filter((a) => a.status === 201);
    const inFlight = answers.filter((a) => a.status === 409);
    expect(created.length + inFlight.length).toBe(10);
    expect(created.length).toBeGreaterThanOrEqual(1);
    expect(created.filter((a) => a.headers.get('idempotent-replayed') === null)).toHaveLength(1);
    expect(new Set(created.map((a) => a.body.id)).size).toBe(1);
    for (const a of inFlight) {
      expect(a.body.type).toBe(problemType('idempotency-in-flight'));
      expect(a.headers.get('retry-after')).toBe('1');
    }
    const docs = await Promise.all(
      (await listIds()).map(async (id) => (await call('GET', `/v1/items/${id}`)).body),
    );
    expect(docs.filter((doc) => doc.marker === marker)).toHaveLength(1);
  });

  it('keeps keys per tenant', async () => {
    const other = (
      await createApiKey(api.keys, {
        tenant: 'other-tenant',
        scopes: ['read', 'write'],
        quota: 100,
      })
    ).key;
    const shared = key();
    const mine = await call('POST', '/v1/items', {
      body: { n: 1 },
      headers: { 'idempotency-key': shared },
    });
    const theirs = await send(api.baseUrl, 'POST', '/v1/items', {
      body: { n: 1 },
      headers: { authorization: `Bearer ${other}`, 'idempotency-key': shared },
    });
    expect(theirs.status).toBe(201);
    expect(theirs.headers.get('idempotent-replayed')).toBeNull();
    expect(theirs.body.id).not.toBe(mine.body.id);
  });

  it('answers 400 for a malformed key', async () => {
    for (const bad of ['', 'x'.repeat(256), 'has space']) {
      const answer = await call('POST', '/v1/items', {
        body: {},
        headers: { 'idempotency-key': bad },
      });
      expect(answer.status, JSON.stringify(bad)).toBe(400);
    }
  });
});
