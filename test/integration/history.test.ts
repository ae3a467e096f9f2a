/**
 * Version history and restore through real HTTP against DynamoDB Local:
 * every write leaves exactly its version's entry, refusals leave none,
 * retention drops old versions, and another tenant sees nothing.
 */
import { QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hashApiKey, keyIdOf } from '../../functions/core/api-keys';
import { parseConfig } from '../../functions/core/config';
import { createApiKey } from '../../functions/core/key-admin';
import { historyPartition, historySortKey, TABLE_KEYS } from '../../functions/store/keys';
import { authedSender, freshId, PROBLEM, problemType } from '../helpers/http';
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
      collections: [
        { name: 'items' },
        { name: 'short', history: { keepVersions: 3, keepDays: 2 } },
        {
          name: 'typed',
          schema: { type: 'object', properties: { n: { type: 'integer' } } },
        },
      ],
    }),
  });
  const { key } = await createApiKey(api.keys, {
    tenant: 'history-other',
    scopes: ['read', 'write'],
    quota: 1_000,
  });
  other = authedSender(api.baseUrl, { authorization: `Bearer ${key}` });
});
afterAll(() => api.close());

const versionsOf = async (path: string, query = '') => {
  const answer = await call('GET', `${path}/versions${query}`);
  expect(answer.status).toBe(200);
  return answer.body as {
    items: Array<{ version: number; operation: string; deleted: boolean; etag: string }>;
    nextCursor: string | null;
  };
};

/** The versions that have an entry in the table, read directly. */
const storedVersions = async (collection: string, id: string, tenant = api.tenant) => {
  const { Items = [] } = await api.client.send(
    new QueryCommand({
      TableName: api.tableName,
      KeyConditionExpression: '#pk = :pk',
      ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
      ExpressionAttributeValues: { ':pk': historyPartition(tenant, collection, id) },
      ConsistentRead: true,
    }),
  );
  return Items.map((item) => Number(item.version));
};

/** A document written as create (1), replace (2), patch (3), delete (4), create (5), restore (6). */
const everyKindOfWrite = async () => {
  const id = freshId();
  const path = `/v1/items/${id}`;
  expect((await call('POST', '/v1/items', { body: { id, n: 1 } })).status).toBe(201);
  expect((await call('PUT', path, { body: { n: 2 }, headers: { 'if-match': '"1"' } })).status).toBe(
    200,
  );
  expect(
    (await call('PATCH', path, { raw: '{"m":3}', headers: { ...MERGE, 'if-match': '"2"' } }))
      .status,
  ).toBe(200);
  expect((await call('DELETE', path, { headers: { 'if-match': '"3"' } })).status).toBe(204);
  expect(
    (await call('PUT', path, { body: { n: 5 }, headers: { 'if-none-match': '*' } })).status,
  ).toBe(201);
  const restored = await call('POST', `${path}/versions/2/restore`, {
    headers: { 'if-match': '"5"' },
  });
  expect(restored.status).toBe(200);
  return { id, path, restored };
};

describe('version history', () => {
  it('lists every write of every kind, newest first, with who wrote it and when', async () => {
    const before = new Date().toISOString();
    const { path } = await everyKindOfWrite();
    const { items, nextCursor } = await versionsOf(path);
    expect(items.map((v) => [v.version, v.operation, v.deleted])).toEqual([
      [6, 'restore', false],
      [5, 'create', false],
      [4, 'delete', true],
      [3, 'patch', false],
      [2, 'replace', false],
      [1, 'create', false],
    ]);
    const keyId = keyIdOf(hashApiKey(api.apiKey));
    for (const entry of items) {
      expect(entry).toEqual({
        version: entry.version,
        etag: `"${entry.version}"`,
        operation: entry.operation,
        time: expect.any(String),
        keyId,
        deleted: entry.deleted,
      });
    }
    expect(items.every((v, i) => i === 0 || v.version < (items[i - 1]?.version ?? 0))).toBe(true);
    expect((items.at(-1) as unknown as { time: string }).time >= before).toBe(true);
    expect(nextCursor).toBeNull();
  });

  it("answers each version's document with that version's ETag, and 410 for a deletion", async () => {
    const { id, path } = await everyKindOfWrite();
    const three = await call('GET', `${path}/versions/3`);
    expect(three.status).toBe(200);
    expect(three.headers.get('etag')).toBe('"3"');
    expect(three.body).toEqual({ id, version: 3, n: 2, m: 3 });
    const head = await call('HEAD', `${path}/versions/3`);
    expect([head.status, head.headers.get('etag'), head.body]).toEqual([200, '"3"', '']);
    const deletion = await call('GET', `${path}/versions/4`);
    expect(deletion.status).toBe(410);
    expect(deletion.headers.get('content-type')).toBe(PROBLEM);
    expect(deletion.body).toMatchObject({ type: problemType('version-is-deletion'), version: 4 });
    for (const missing of ['7', '99']) {
      expect((await call('GET', `${path}/versions/${missing}`)).status).toBe(404);
    }
    for (const malformed of ['0', 'x', '-1', '1.5']) {
      expect((await call('GET', `${path}/versions/${malformed}`)).status).toBe(400);
    }
  });

  it('restores as a new version that carries the old content, never going back', async () => {
    const { id, path, restored } = await everyKindOfWrite();
    expect(restored.headers.get('etag')).toBe('"6"');
    expect(restored.body).toEqual({ id, version: 6, n: 2 });
    expect((await call('GET', path)).body).toEqual({ id, version: 6, n: 2 });
  });

  it('revives a deleted document with If-None-Match: *, answering 201 with Location', async () => {
    const id = freshId();
    const path = `/v1/items/${id}`;
    await call('POST', '/v1/items', { body: { id, n: 1 } });
    await call('DELETE', path, { headers: { 'if-match': '"1"' } });
    const revived = await call('POST', `${path}/versions/1/restore`, {
      headers: { 'if-none-match': '*' },
    });
    expect(revived.status).toBe(201);
    expect(revived.headers.get('location')).toBe(path);
    expect(revived.headers.get('etag')).toBe('"3"');
    expect((await call('GET', path)).body).toEqual({ id, version: 3, n: 1 });
  });

  it('refuses restores without a precondition, with a stale one, or of a deletion', async () => {
    const { path } = await everyKindOfWrite();
    const none = await call('POST', `${path}/versions/2/restore`);
    expect([none.status, none.body.type]).toEqual([428, problemType('precondition-required')]);
    const stale = await call('POST', `${path}/versions/2/restore`, {
      headers: { 'if-match': '"5"' },
    });
    expect([stale.status, stale.body.current.version]).toEqual([409, 6]);
    const deletion = await call('POST', `${path}/versions/4/restore`, {
      headers: { 'if-match': '"6"' },
    });
    expect(deletion.status).toBe(422);
    expect(deletion.body).toMatchObject({ type: problemType('nothing-to-restore'), version: 4 });
    const gone = await call('POST', `${path}/versions/9/restore`, {
      headers: { 'if-match': '"6"' },
    });
    expect(gone.status).toBe(404);
    expect((await versionsOf(path)).items).toHaveLength(6);
  });

  it('lets exactly one of racing restores and replaces at the same version win, leaving one entry', async () => {
    const id = freshId();
    const path = `/v1/items/${id}`;
    await call('POST', '/v1/items', { body: { id, n: 1 } });
    await call('PUT', path, { body: { n: 2 }, headers: { 'if-match': '"1"' } });
    const atTwo = { 'if-match': '"2"' };
    const answers = await Promise.all([
      ...Array.from({ length: 6 }, () =>
        call('POST', `${path}/versions/1/restore`, { headers: atTwo }),
      ),
      ...Array.from({ length: 6 }, (_, i) =>
        call('PUT', path, { body: { n: 100 + i }, headers: atTwo }),
      ),
    ]);
    const won = answers.filter((a) => a.status === 200);
    expect(won).toHaveLength(1);
    expect(answers.filter((a) => a.status === 409)).toHaveLength(answers.length - 1);
    const winner = won[0]?.body;
    // Every refusal carries the winner's state, and the winner is what a read sees.
    for (const refused of answers.filter((a) => a.status === 409)) {
      expect(refused.body.current.document).toEqual(winner);
    }
    expect((await call('GET', path)).body).toEqual(winner);
    expect((await storedVersions('items', id)).sort((a, b) => a - b)).toEqual([1, 2, 3]);
  });

  it('never reuses an ETag across a delete and a re-create', async () => {
    const { path } = await everyKindOfWrite();
    const etags = (await versionsOf(path)).items.map((v) => v.etag);
    expect(new Set(etags).size).toBe(etags.length);
    const stale = await call('PUT', path, { body: { n: 0 }, headers: { 'if-match': '"1"' } });
    expect(stale.status).toBe(409);
  });

  it('leaves no entry for refused writes: stale If-Match, a held lease, a schema violation', async () => {
    const id = freshId();
    const path = `/v1/typed/${id}`;
    await call('POST', '/v1/typed', { body: { id, n: 1 } });
    const stale = await call('PUT', path, { body: { n: 2 }, headers: { 'if-match': '"7"' } });
    expect(stale.status).toBe(409);
    const invalid = await call('PUT', path, { body: { n: 'x' }, headers: { 'if-match': '"1"' } });
    expect(invalid.status).toBe(422);
    expect((await call('POST', `${path}/lock`)).status).toBe(200);
    const held = await call('PUT', path, { body: { n: 2 }, headers: { 'if-match': '"1"' } });
    expect(held.body.type).toBe(problemType('lock-held'));
    expect((await versionsOf(path)).items.map((v) => v.version)).toEqual([1]);
    expect(await storedVersions('typed', id)).toEqual([1]);
  });

  it('pages through versions with an opaque cursor', async () => {
    const id = freshId();
    const path = `/v1/items/${id}`;
    await call('POST', '/v1/items', { body: { id, n: 1 } });
    for (let v = 1; v < 7; v++) {
      await call('PUT', path, { body: { n: v + 1 }, headers: { 'if-match': `"${v}"` } });
    }
    const pages: number[][] = [];
    let cursor: string | null = null;
    do {
      const query: string = `?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
      const page = await versionsOf(path, query);
      pages.push(page.items.map((v) => v.version));
      cursor = page.nextCursor;
    } while (cursor);
    expect(pages).toEqual([[7, 6, 5], [4, 3, 2], [1]]);
    expect((await call('GET', `${path}/versions?cursor=nonsense`)).status).toBe(400);
    expect((await call('GET', `${path}/versions?limit=0`)).status).toBe(400);
    const head = await call('HEAD', `${path}/versions?limit=3`);
    expect([head.status, head.body]).toEqual([200, '']);
  });
});

describe('history retention', () => {
  it('keeps keepVersions versions: each write drops the oldest in the same request', async () => {
    const id = freshId();
    const path = `/v1/short/${id}`;
    await call('POST', '/v1/short', { body: { id, n: 1 } });
    for (let v = 1; v < 6; v++) {
      await call('PUT', path, { body: { n: v + 1 }, headers: { 'if-match': `"${v}"` } });
    }
    expect((await versionsOf(path)).items.map((v) => v.version)).toEqual([6, 5, 4]);
    expect((await storedVersions('short', id)).sort()).toEqual([4, 5, 6]);
    expect((await call('GET', `${path}/versions/3`)).status).toBe(404);
    expect((await call('GET', `${path}/versions/4`)).status).toBe(200);
    const restore = await call('POST', `${path}/versions/3/restore`, {
      headers: { 'if-match': '"6"' },
    });
    expect(restore.status).toBe(404);
  });

  it('sets the TTL from keepDays, and no longer answers an entry whose time has passed', async () => {
    const id = freshId();
    const path = `/v1/short/${id}`;
    await call('POST', '/v1/short', { body: { id, n: 1 } });
    await call('PUT', path, { body: { n: 2 }, headers: { 'if-match': '"1"' } });
    const key = (version: number) => ({
      [TABLE_KEYS.partitionKey]: historyPartition(api.tenant, 'short', id),
      [TABLE_KEYS.sortKey]: historySortKey(version),
    });
    const { Items = [] } = await api.client.send(
      new QueryCommand({
        TableName: api.tableName,
        KeyConditionExpression: '#pk = :pk',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
        ExpressionAttributeValues: { ':pk': key(1)[TABLE_KEYS.partitionKey] },
        ConsistentRead: true,
      }),
    );
    for (const item of Items) {
      const written = Date.parse(String(item.time)) / 1000;
      expect(Number(item[TABLE_KEYS.ttlAttribute]) - written).toBeCloseTo(2 * DAY, -1);
    }
    // DynamoDB deletes expired items late (DynamoDB Local never): reads must not wait for it.
    await api.client.send(
      new UpdateCommand({
        TableName: api.tableName,
        Key: key(1),
        UpdateExpression: 'SET #ttl = :past',
        ExpressionAttributeNames: { '#ttl': TABLE_KEYS.ttlAttribute },
        ExpressionAttributeValues: { ':past': Math.floor(Date.now() / 1000) - 1 },
      }),
    );
    expect((await versionsOf(path)).items.map((v) => v.version)).toEqual([2]);
    expect((await call('GET', `${path}/versions/1`)).status).toBe(404);
    expect((await call('GET', `${path}/versions/2`)).status).toBe(200);
  });
});

describe('history and tenancy', () => {
  it("answers another tenant's history exactly like a missing document's", async () => {
    const { path } = await everyKindOfWrite();
    for (const request of [
      () => other('GET', `${path}/versions`),
      () => other('GET', `${path}/versions/2`),
      () => other('HEAD', `${path}/versions/2`),
      () => other('POST', `${path}/versions/2/restore`, { headers: { 'if-match': '"6"' } }),
    ]) {
      const answer = await request();
      expect(answer.status).toBe(404);
    }
    const missing = await call('GET', `/v1/items/${freshId()}/versions`);
    expect(missing.status).toBe(404);
    expect((await versionsOf(path)).items).toHaveLength(6);
  });

  it("never lets a cursor reach another tenant's or another document's history", async () => {
    const { id, path } = await everyKindOfWrite();
    const cursor = (await versionsOf(path, '?limit=2')).nextCursor ?? '';
    // The other tenant has a document with the same id and one version.
    await other('POST', '/v1/items', { body: { id } });
    const theirs = await other('GET', `${path}/versions?cursor=${encodeURIComponent(cursor)}`);
    expect(theirs.status).toBe(200);
    expect(theirs.body.items.map((v: { version: number }) => v.version)).toEqual([1]);
    const elsewhere = freshId();
    await call('POST', '/v1/items', { body: { id: elsewhere } });
    const mine = await call('GET', `/v1/items/${elsewhere}/versions?cursor=${cursor}`);
    expect(mine.body.items.map((v: { version: number }) => v.version)).toEqual([1]);
  });
});
