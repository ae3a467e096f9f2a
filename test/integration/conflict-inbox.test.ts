/**
 * The conflict inbox through real HTTP against DynamoDB Local: every refused
 * version conflict is recorded and linked from its 409, listed with filters,
 * resolved once with each strategy, and a stale resolution is refused.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config';
import { UnavailableError } from '../../functions/core/errors';
import { createApiKey } from '../../functions/core/key-admin';
import type { RequestRecord } from '../../functions/http/observability';
import { conflictPartition, conflictSortKey, TABLE_KEYS } from '../../functions/store/keys';
import { authedSender, freshId, problemType } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';

let api: TestApi;
let other: ReturnType<typeof authedSender>;
const call: ReturnType<typeof authedSender> = (...args) =>
  authedSender(api.baseUrl, api.headers)(...args);
const MERGE = { 'content-type': 'application/merge-patch+json' };
const DAY = 24 * 60 * 60;

beforeAll(async () => {
  api = await startApi({
    config: parseConfig({
      conflicts: { retentionDays: 3 },
      collections: [{ name: 'items' }, { name: 'merged', conflictPolicy: 'merge' }],
    }),
  });
  const { key } = await createApiKey(api.keys, {
    tenant: 'inbox-other',
    scopes: ['read', 'write'],
    quota: 1_000,
  });
  other = authedSender(api.baseUrl, { authorization: `Bearer ${key}` });
});
afterAll(() => api.close());

/** A document at version 2, and the 409 of a stale PUT against it. */
const refusedPut = async (collection = 'items', proposal: object = { status: 'cancelled' }) => {
  const id = freshId();
  await call('PUT', `/v1/${collection}/${id}`, {
    body: { status: 'new', total: 40 },
    headers: { 'if-none-match': '*' },
  });
  await call('PUT', `/v1/${collection}/${id}`, {
    body: { status: 'paid', total: 40 },
    headers: { 'if-match': '"1"' },
  });
  const refused = await call('PUT', `/v1/${collection}/${id}`, {
    body: proposal,
    headers: { 'if-match': '"1"' },
  });
  expect(refused.status).toBe(409);
  return { id, refused, conflictId: refused.body.conflict.id as string };
};

describe('recording conflicts', () => {
  it('records a stale write and links the record from the 409', async () => {
    const { id, refused, conflictId } = await refusedPut();
    expect(refused.body.type).toBe(problemType('version-mismatch'));
    expect(refused.body.conflict).toEqual({ id: conflictId, url: `/v1/conflicts/${conflictId}` });
    const conflict = await call('GET', `/v1/conflicts/${conflictId}`);
    expect(conflict.status).toBe(200);
    expect(conflict.body).toMatchObject({
      id: conflictId,
      collection: 'items',
      documentId: id,
      status: 'open',
      reason: 'version-mismatch',
      baseVersion: 1,
      currentVersion: 2,
      proposal: { method: 'PUT', contentType: 'application/json', body: { status: 'cancelled' } },
      paths: [],
      keyId: expect.any(String),
      resolution: null,
    });
  });

  it('keeps the record with status, collection, document id and an expiry for the stream', async () => {
    const { id, conflictId } = await refusedPut();
    const { Item } = await api.client.send(
      new GetCommand({
        TableName: api.tableName,
        Key: {
          [TABLE_KEYS.partitionKey]: conflictPartition(api.tenant),
          [TABLE_KEYS.sortKey]: conflictSortKey(conflictId),
        },
      }),
    );
    expect(Item).toMatchObject({ status: 'open', collection: 'items', documentId: id });
    const expiresAt = Number(Item?.[TABLE_KEYS.ttlAttribute]);
    const recorded = Date.parse(String(Item?.time)) / 1000;
    expect(expiresAt - recorded).toBeGreaterThan(3 * DAY - 2);
    expect(expiresAt - recorded).toBeLessThanOrEqual(3 * DAY);
  });

  it('records a failed JSON Patch test with its pointer, and a merge clash with its paths', async () => {
    const { id } = await refusedPut();
    const failed = await call('PATCH', `/v1/items/${id}`, {
      raw: JSON.stringify([{ op: 'test', path: '/status', value: 'new' }]),
      headers: { 'content-type': 'application/json-patch+json', 'if-match': '"2"' },
    });
    expect(failed.status).toBe(409);
    const test = await call('GET', failed.body.conflict.url);
    expect(test.body).toMatchObject({ reason: 'patch-test-failed', paths: [{ path: '/status' }] });

    const merged = await refusedPut('merged', { status: 'void', total: 40 });
    const clash = await call('GET', `/v1/conflicts/${merged.conflictId}`);
    expect(clash.body.paths).toEqual([
      { path: '/status', base: 'new', theirs: 'paid', ours: 'void' },
    ]);
  });

  it('lists conflicts oldest first, filtered by collection, document, status and time', async () => {
    const since = new Date(Date.now() - 1000).toISOString();
    const a = await refusedPut();
    const b = await refusedPut();
    const byDoc = await call('GET', `/v1/conflicts?documentId=${a.id}`);
    expect(byDoc.body.items.map((c: { id: string }) => c.id)).toEqual([a.conflictId]);
    const recent = await call('GET', `/v1/conflicts?since=${since}&collection=items&status=open`);
    const ids = recent.body.items.map((c: { id: string }) => c.id);
    expect(ids).toEqual(expect.arrayContaining([a.conflictId, b.conflictId]));
    expect(ids.indexOf(a.conflictId)).toBeLessThan(ids.indexOf(b.conflictId));
    const first = await call('GET', `/v1/conflicts?limit=1`);
    expect(first.body.items).toHaveLength(1);
    const next = await call('GET', `/v1/conflicts?limit=1&cursor=${first.body.nextCursor}`);
    expect(next.body.items[0].id > first.body.items[0].id).toBe(true);
    expect((await call('GET', '/v1/conflicts?status=closed')).status).toBe(400);
    expect((await call('GET', '/v1/conflicts?since=yesterday')).status).toBe(400);
    expect((await call('GET', '/v1/conflicts?since=%2B275760-09-13T00:00:00Z')).status).toBe(400);
    expect((await call('GET', '/v1/conflicts?since=1969-12-31T00:00:00Z')).status).toBe(400);
  });

  it('shows no conflict to another tenant', async () => {
    const { conflictId } = await refusedPut();
    expect((await other('GET', `/v1/conflicts/${conflictId}`)).status).toBe(404);
    const list = await other('GET', '/v1/conflicts');
    expect(list.body.items).toEqual([]);
    const resolve = await other('POST', `/v1/conflicts/${conflictId}/resolution`, {
      body: { strategy: 'theirs' },
    });
    expect(resolve.status).toBe(404);
  });
});

describe('resolving conflicts', () => {
  it('applies the refused proposal to the current version with "ours"', async () => {
    const { id, conflictId } = await refusedPut();
    const resolved = await call('POST', `/v1/conflicts/${conflictId}/resolution`, {
      body: { strategy: 'ours' },
    });
    expect(resolved.status).toBe(200);
    expect(resolved.headers.get('etag')).toBe('"3"');
    expect(resolved.body).toMatchObject({
      status: 'resolved',
      resolution: { strategy: 'ours', version: 3, keyId: expect.any(String) },
    });
    const read = await call('GET', `/v1/items/${id}`);
    expect(read.body).toEqual({ id, version: 3, status: 'cancelled' });
    expect((await call('GET', `/v1/conflicts/${conflictId}`)).body.status).toBe('resolved');
  });

  it('applies a refused patch to the current version with "ours"', async () => {
    const { id } = await refusedPut();
    const refused = await call('PATCH', `/v1/items/${id}`, {
      raw: JSON.stringify({ note: 'gift' }),
      headers: { ...MERGE, 'if-match': '"1"' },
    });
    const resolved = await call('POST', `${refused.body.conflict.url}/resolution`, {
      body: { strategy: 'ours' },
    });
    expect(resolved.status).toBe(200);
    const read = await call('GET', `/v1/items/${id}`);
    expect(read.body).toEqual({ id, version: 3, status: 'paid', total: 40, note: 'gift' });
  });

  it('keeps the current version with "theirs" and writes a supplied document with "merged"', async () => {
    const theirs = await refusedPut();
    const kept = await call('POST', `/v1/conflicts/${theirs.conflictId}/resolution`, {
      body: { strategy: 'theirs' },
    });
    expect(kept.status).toBe(200);
    expect(kept.body.resolution).toMatchObject({ strategy: 'theirs', version: 2 });
    expect((await call('GET', `/v1/items/${theirs.id}`)).body.version).toBe(2);

    const merged = await refusedPut();
    const written = await call('POST', `/v1/conflicts/${merged.conflictId}/resolution`, {
      body: { strategy: 'merged', document: { status: 'paid', total: 40, note: 'both' } },
    });
    expect(written.status).toBe(200);
    const read = await call('GET', `/v1/items/${merged.id}`);
    expect(read.body).toEqual({
      id: merged.id,
      version: 3,
      status: 'paid',
      total: 40,
      note: 'both',
    });
  });

  it('refuses a stale resolution with the new state, and leaves the conflict open', async () => {
    const { id, conflictId } = await refusedPut();
    await call('PUT', `/v1/items/${id}`, {
      body: { status: 'shipped' },
      headers: { 'if-match': '"2"' },
    });
    const stale = await call('POST', `/v1/conflicts/${conflictId}/resolution`, {
      body: { strategy: 'ours' },
    });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({
      type: problemType('version-mismatch'),
      current: { version: 3, document: { status: 'shipped' } },
    });
    expect((await call('GET', `/v1/conflicts/${conflictId}`)).body.status).toBe('open');
    // Against the version named by If-Match instead, it goes through.
    const named = await call('POST', `/v1/conflicts/${conflictId}/resolution`, {
      body: { strategy: 'theirs' },
      headers: { 'if-match': '"3"' },
    });
    expect(named.status).toBe(200);
  });

  it('refuses a second resolution, and leaves the document as the first one made it', async () => {
    const { id, conflictId } = await refusedPut();
    const first = await call('POST', `/v1/conflicts/${conflictId}/resolution`, {
      body: { strategy: 'theirs' },
    });
    expect(first.status).toBe(200);
    const second = await call('POST', `/v1/conflicts/${conflictId}/resolution`, {
      body: { strategy: 'ours' },
    });
    expect(second.status).toBe(409);
    expect(second.body).toMatchObject({
      type: problemType('conflict-resolved'),
      resolvedVersion: 2,
    });
    expect((await call('GET', `/v1/items/${id}`)).body.version).toBe(2);
  });

  it.each(['ours', 'theirs'])(
    'answers a retried %s resolution with the same Idempotency-Key as done, writing nothing more',
    async (strategy) => {
      const { id, conflictId } = await refusedPut();
      const send = () =>
        call('POST', `/v1/conflicts/${conflictId}/resolution`, {
          body: { strategy },
          headers: { 'idempotency-key': `resolve-${conflictId}` },
        });
      const first = await send();
      const again = await send();
      expect([first.status, again.status]).toEqual([200, 200]);
      expect(again.body.resolution).toEqual(first.body.resolution);
      const read = await call('GET', `/v1/items/${id}`);
      expect(read.body.version).toBe(first.body.resolution.version);
      const other = await call('POST', `/v1/conflicts/${conflictId}/resolution`, {
        body: { strategy },
        headers: { 'idempotency-key': `another-${conflictId}` },
      });
      expect(other.status).toBe(409);
    },
  );

  it('lets exactly one of two racing resolutions win', async () => {
    const { id, conflictId } = await refusedPut();
    const race = await Promise.allSettled(
      ['ours', 'theirs'].map((strategy) =>
        call('POST', `/v1/conflicts/${conflictId}/resolution`, { body: { strategy } }),
      ),
    );
    const statuses = race.map((r) => (r.status === 'fulfilled' ? r.value.status : 0)).sort();
    expect(statuses).toEqual([200, 409]);
    const conflict = await call('GET', `/v1/conflicts/${conflictId}`);
    const read = await call('GET', `/v1/items/${id}`);
    expect(read.body.version).toBe(conflict.body.resolution.version);
  });

  it.each([
    [{}, 'strategy must be "ours", "theirs" or "merged"'],
    [{ strategy: 'mine' }, 'strategy must be "ours", "theirs" or "merged"'],
    [{ strategy: 'merged' }, 'a "document" comes with the "merged" strategy, and only with it'],
    [
      { strategy: 'ours', document: {} },
      'a "document" comes with the "merged" strategy, and only with it',
    ],
    [{ strategy: 'ours', extra: 1 }, 'unknown member "extra"'],
  ])('refuses the resolution %j with 400', async (body, detail) => {
    const { conflictId } = await refusedPut();
    const answer = await call('POST', `/v1/conflicts/${conflictId}/resolution`, { body });
    expect(answer.status).toBe(400);
    expect(answer.body.detail).toBe(detail);
  });

  it('answers 404 for an unknown conflict', async () => {
    const answer = await call('POST', '/v1/conflicts/01ARZ3NDEKTSV4RRFFQ69G5FAV/resolution', {
      body: { strategy: 'theirs' },
    });
    expect(answer.status).toBe(404);
    expect((await call('GET', '/v1/conflicts/nope')).status).toBe(404);
  });
});

describe('when recording fails', () => {
  it('still answers the 409, without a conflict link, and marks the failure in the request log', async () => {
    const records: RequestRecord[] = [];
    const failing = await startApi({
      wrapStore: (store) => ({
        ...store,
        conflicts: {
          ...store.conflicts,
          record: async () => {
            throw new UnavailableError('the table is down', 1);
          },
        },
      }),
      observer: (record) => records.push(record),
    });
    try {
      const send = authedSender(failing.baseUrl, failing.headers);
      const id = freshId();
      await send('PUT', `/v1/items/${id}`, { body: { a: 1 }, headers: { 'if-none-match': '*' } });
      await send('PUT', `/v1/items/${id}`, { body: { a: 2 }, headers: { 'if-match': '"1"' } });
      const refused = await send('PUT', `/v1/items/${id}`, {
        body: { a: 3 },
        headers: { 'if-match': '"1"' },
      });
      expect(refused.status).toBe(409);
      expect(refused.body.type).toBe(problemType('version-mismatch'));
      expect(refused.body.conflict).toBeUndefined();
      expect(records.at(-1)?.conflict).toMatchObject({ recordFailed: 'UnavailableError' });
    } finally {
      await failing.close();
    }
  });
});
