/**
 * One-shot transactions through real HTTP against DynamoDB Local: all
 * operations commit together or none does, every refused operation is
 * named with the state that refused it, and history rides along.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../functions/core/key-admin';
import { type Answer, authedSender, freshId, problemType } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';
import { uniqueName } from '../helpers/local-dynamo';

let api: TestApi;
const call: ReturnType<typeof authedSender> = (...args) =>
  authedSender(api.baseUrl, api.headers)(...args);

beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

const create = async (body: Record<string, unknown> = {}) => {
  const id = freshId();
  const answer = await call('POST', '/v1/items', { body: { id, ...body } });
  expect(answer.status).toBe(201);
  return id;
};
const transaction = (operations: unknown[], headers: Record<string, string> = {}) =>
  call('POST', '/v1/transactions', { body: { operations }, headers });
const read = (id: string) => call('GET', `/v1/items/${id}`);
const versionsOf = async (id: string) =>
  ((await call('GET', `/v1/items/${id}/versions`)).body.items as Array<{ version: number }>).map(
    (v) => v.version,
  );

describe('POST /v1/transactions', () => {
  it('commits a create, replace, patch, delete and check together and answers each in order', async () => {
    const [b, c, d, e] = [
      await create({ n: 1 }),
      await create({ n: 1 }),
      await create(),
      await create(),
    ];
    const a = freshId();
    const answer = await transaction([
      { op: 'create', collection: 'items', id: a, document: { n: 0 } },
      { op: 'replace', collection: 'items', id: b, ifMatch: '"1"', document: { n: 2 } },
      { op: 'patch', collection: 'items', id: c, ifMatch: '"1"', patch: { m: 3 } },
      {
        op: 'patch',
        collection: 'items',
        id: d,
        ifMatch: '"1"',
        patchFormat: 'json',
        patch: [{ op: 'add', path: '/tags', value: ['x'] }],
      },
      { op: 'delete', collection: 'items', id: e, ifMatch: '"1"' },
    ]);
    expect(answer.status).toBe(200);
    expect(answer.body.results).toEqual([
      {
        index: 0,
        op: 'create',
        status: 201,
        collection: 'items',
        id: a,
        version: 1,
        etag: '"1"',
        location: `/v1/items/${a}`,
        document: { id: a, version: 1, n: 0 },
      },
      {
        index: 1,
        op: 'replace',
        status: 200,
        collection: 'items',
        id: b,
        version: 2,
        etag: '"2"',
        document: { id: b, version: 2, n: 2 },
      },
      {
        index: 2,
        op: 'patch',
        status: 200,
        collection: 'items',
        id: c,
        version: 2,
        etag: '"2"',
        document: { id: c, version: 2, n: 1, m: 3 },
      },
      {
        index: 3,
        op: 'patch',
        status: 200,
        collection: 'items',
        id: d,
        version: 2,
        etag: '"2"',
        document: { id: d, version: 2, tags: ['x'] },
      },
      { index: 4, op: 'delete', status: 204, collection: 'items', id: e, version: 2 },
    ]);
    expect((await read(a)).body).toEqual({ id: a, version: 1, n: 0 });
    expect((await read(c)).body).toEqual({ id: c, version: 2, n: 1, m: 3 });
    expect((await read(e)).status).toBe(404);
    // Every write's history entry rode in the same transaction.
    expect(await versionsOf(b)).toEqual([2, 1]);
    expect(await versionsOf(e)).toEqual([2, 1]);
    const entry = (await call('GET', `/v1/items/${b}/versions`)).body.items[0];
    expect(entry).toMatchObject({ version: 2, operation: 'replace', deleted: false });

    const checked = await transaction([
      { op: 'check', collection: 'items', id: b, ifMatch: '"2"' },
      { op: 'check', collection: 'items', id: e, ifNoneMatch: '*' },
      { op: 'check', collection: 'items', id: c, ifMatch: '*' },
    ]);
    expect(checked.status).toBe(200);
    expect(checked.body.results.map((r: { version: number | null }) => r.version)).toEqual([
      2,
      null,
      2,
    ]);
  });

  it('leaves every document and its history unchanged when one operation fails', async () => {
    const [a, b, c] = [await create({ n: 1 }), await create({ n: 1 }), await create({ n: 1 })];
    await call('PUT', `/v1/items/${c}`, { body: { n: 2 }, headers: { 'if-match': '"1"' } });
    const before = await Promise.all([a, b, c].map(read));
    const history = await Promise.all([a, b, c].map(versionsOf));
    const answer = await transaction([
      { op: 'replace', collection: 'items', id: a, ifMatch: '"1"', document: { n: 10 } },
      { op: 'delete', collection: 'items', id: b, ifMatch: '"1"' },
      { op: 'patch', collection: 'items', id: c, ifMatch: '"1"', patch: { n: 10 } },
      { op: 'create', collection: 'items', id: freshId(), document: { n: 10 } },
    ]);
    expect(answer.status).toBe(409);
    expect(answer.body).toMatchObject({
      type: problemType('transaction-conflict'),
      retryable: false,
      failed: [
        {
          index: 2,
          op: 'patch',
          collection: 'items',
          id: c,
          reason: 'version-mismatch',
          current: { version: 2, etag: '"2"', document: { id: c, version: 2, n: 2 } },
        },
      ],
    });
    expect(await Promise.all([a, b, c].map(read))).toEqual(
      before.map((r) => expect.objectContaining({ status: r.status, body: r.body })),
    );
    expect(await Promise.all([a, b, c].map(versionsOf))).toEqual(history);
  });

  it('names every refused operation, each with its reason and the current state from the refusal', async () => {
    const [a, b, c] = [await create({ n: 1 }), await create({ n: 1 }), await create({ n: 1 })];
    await call('PUT', `/v1/items/${b}`, { body: { n: 2 }, headers: { 'if-match': '"1"' } });
    const missing = freshId();
    const answer = await transaction([
      { op: 'create', collection: 'items', id: a, document: {} },
      { op: 'replace', collection: 'items', id: b, ifMatch: '"1"', document: {} },
      { op: 'check', collection: 'items', id: c, ifMatch: '"1"' },
      { op: 'delete', collection: 'items', id: missing, ifMatch: '"1"' },
      { op: 'check', collection: 'items', id: `${c}x`, ifMatch: '*' },
    ]);
    expect(answer.status).toBe(409);
    const failed = answer.body.failed as Answer['body'][];
    expect(failed.map((f) => [f.index, f.reason])).toEqual([
      [0, 'already-exists'],
      [1, 'version-mismatch'],
      [3, 'not-found'],
      [4, 'not-found'],
    ]);
    expect(failed[0]).toMatchObject({ location: `/v1/items/${a}`, current: { version: 1 } });
    expect(failed[1].current).toEqual({
      version: 2,
      etag: '"2"',
      document: { id: b, version: 2, n: 2 },
    });
  });

  it('reports a failed JSON Patch test as patch-test-failed for that operation, without writing', async () => {
    const [a, b] = [await create({ state: 'open' }), await create()];
    const answer = await transaction([
      { op: 'replace', collection: 'items', id: b, ifMatch: '"1"', document: { x: 1 } },
      {
        op: 'patch',
        collection: 'items',
        id: a,
        ifMatch: '"1"',
        patchFormat: 'json',
        patch: [
          { op: 'test', path: '/state', value: 'closed' },
          { op: 'replace', path: '/state', value: 'archived' },
        ],
      },
    ]);
    expect(answer.status).toBe(409);
    expect(answer.body.failed).toEqual([
      expect.objectContaining({
        index: 1,
        reason: 'patch-test-failed',
        pointer: '/state',
        current: expect.objectContaining({ version: 1 }),
      }),
    ]);
    expect((await read(b)).body.version).toBe(1);
  });

  it('refuses a write to a leased document without its token as lock-held, and lets the holder through', async () => {
    const [a, b] = [await create(), await create()];
    const lease = (await call('POST', `/v1/items/${a}/lock`, { body: { ttlSeconds: 60 } })).body;
    const operations = (lockToken?: string) => [
      { op: 'replace', collection: 'items', id: b, ifMatch: '"1"', document: { n: 1 } },
      {
        op: 'patch',
        collection: 'items',
        id: a,
        ifMatch: '"1"',
        patch: { n: 1 },
        ...(lockToken ? { lockToken } : {}),
      },
    ];
    const refused = await transaction(operations());
    expect(refused.status).toBe(409);
    expect(refused.body.failed).toEqual([
      expect.objectContaining({ index: 1, reason: 'lock-held', leaseExpiresAt: lease.expiresAt }),
    ]);
    expect((await read(b)).body.version).toBe(1);
    const held = await transaction(operations(lease.lockToken));
    expect(held.status).toBe(200);
    expect((await read(a)).body).toEqual({ id: a, version: 2, n: 1 });
  });

  it("answers another tenant's document as not-found, and changes nothing", async () => {
    const ours = await create({ n: 1 });
    const { key } = await createApiKey(api.keys, {
      tenant: uniqueName('tenant'),
      scopes: ['read', 'write'],
      quota: 1_000,
    });
    const theirs = authedSender(api.baseUrl, { authorization: `Bearer ${key}` });
    const answer = await theirs('POST', '/v1/transactions', {
      body: {
        operations: [
          { op: 'check', collection: 'items', id: ours, ifMatch: '"1"' },
          { op: 'create', collection: 'items', id: freshId(), document: {} },
        ],
      },
    });
    expect(answer.status).toBe(409);
    expect(answer.body.failed).toEqual([
      {
        index: 0,
        op: 'check',
        collection: 'items',
        id: ours,
        reason: 'not-found',
        detail: expect.any(String),
      },
    ]);
    expect((await read(ours)).body.version).toBe(1);
  });
});

describe('POST /v1/transactions validation', () => {
  it('answers 422 locating every problem by JSON Pointer, before reading or writing anything', async () => {
    const a = await create();
    const answer = await transaction([
      { op: 'replace', collection: 'items', id: a, document: { n: 1 } },
      { op: 'create', collection: 'nope', document: {} },
      { op: 'patch', collection: 'items', id: 'bad id', ifMatch: 'nope', patch: {} },
      { op: 'check', collection: 'items', id: a },
      { op: 'rename', collection: 'items', id: a },
      { op: 'delete', collection: 'items', id: a, ifMatch: '"1"', extra: true },
    ]);
    expect(answer.status).toBe(422);
    expect(answer.body.type).toBe(problemType('validation-failed'));
    const pointers = (answer.body.errors as Array<{ pointer: string }>).map((e) => e.pointer);
    expect(pointers).toEqual(
      // Problems reading the JSON and collection rules, in one answer.
      expect.arrayContaining([
        '/operations/0',
        '/operations/1/collection',
        '/operations/2/ifMatch',
        '/operations/3',
        '/operations/4/op',
        '/operations/5/extra',
      ]),
    );
  });

  it('checks each operation against its collection rules: schema, required preconditions, ids', async () => {
    const a = await create();
    const answer = await transaction([
      { op: 'replace', collection: 'items', id: a, document: { n: 1 } },
      { op: 'create', collection: 'nope', document: {} },
      { op: 'patch', collection: 'items', id: 'bad id', ifMatch: '"1"', patch: {} },
      { op: 'check', collection: 'items', id: a },
      { op: 'create', collection: 'items', id: 'x', document: { id: 'y' } },
    ]);
    expect(answer.status).toBe(422);
    expect(answer.body.errors).toEqual(
      expect.arrayContaining([
        { pointer: '/operations/0', message: expect.stringContaining('ifMatch') },
        { pointer: '/operations/1/collection', message: 'no collection "nope"' },
        { pointer: '/operations/2/id', message: expect.stringContaining('an id must match') },
        { pointer: '/operations/3', message: 'a check needs ifMatch or ifNoneMatch' },
        { pointer: '/operations/4/document/id', message: expect.any(String) },
      ]),
    );
    expect((await read(a)).body.version).toBe(1);
  });

  it('answers 422 when two operations name one document', async () => {
    const a = await create();
    const answer = await transaction([
      { op: 'check', collection: 'items', id: a, ifMatch: '"1"' },
      { op: 'delete', collection: 'items', id: a, ifMatch: '"1"' },
    ]);
    expect(answer.status).toBe(422);
    expect(answer.body.errors).toEqual([
      { pointer: '/operations/1/id', message: expect.stringContaining('operation 0') },
    ]);
  });

  it('accepts 33 writes and refuses 34 with a 422 that states the limit', async () => {
    const creates = (n: number) =>
      Array.from({ length: n }, () => ({
        op: 'create',
        collection: 'items',
        id: freshId(),
        document: {},
      }));
    const refused = await transaction(creates(34));
    expect(refused.status).toBe(422);
    expect(refused.body.errors).toEqual([
      { pointer: '/operations', message: expect.stringContaining('at most 33 writes') },
    ]);
    const accepted = await transaction(creates(33));
    expect(accepted.status).toBe(200);
    expect(accepted.body.results).toHaveLength(33);
  });

  it('answers 400 for a body that is not a transaction at all', async () => {
    for (const body of [[], { operations: {} }, { operations: [], more: 1 }]) {
      const answer = await call('POST', '/v1/transactions', { body });
      expect(answer.status, JSON.stringify(body)).toBe(400);
      expect(answer.body.errors?.length).toBeGreaterThan(0);
    }
    expect((await call('POST', '/v1/transactions', { raw: '{"operations": [' })).status).toBe(400);
    expect((await transaction([])).status).toBe(422);
  });
});

describe('POST /v1/transactions with Idempotency-Key', () => {
  it('answers a repeat with the first result and changes nothing', async () => {
    const [a, b] = [await create({ n: 1 }), await create({ n: 1 })];
    const key = { 'idempotency-key': freshId() };
    const operations = [
      { op: 'patch', collection: 'items', id: a, ifMatch: '"1"', patch: { n: 2 } },
      { op: 'replace', collection: 'items', id: b, ifMatch: '"1"', document: { n: 2 } },
    ];
    const first = await transaction(operations, key);
    expect(first.status).toBe(200);
    const again = await transaction(operations, key);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect(await versionsOf(a)).toEqual([2, 1]);
    const other = await transaction([operations[1]], key);
    expect(other.status).toBe(422);
    expect(other.body.type).toBe(problemType('idempotency-key-reused'));
  });
});
