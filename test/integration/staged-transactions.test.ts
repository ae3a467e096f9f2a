/**
 * Staged transactions through real HTTP against DynamoDB Local: begin, add
 * operations one call at a time, commit (preconditions checked again) or
 * abort; closed and expired transactions refuse further use.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../functions/core/key-admin';
import { authedSender, freshId, problemType } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';
import { uniqueName } from '../helpers/local-dynamo';

let api: TestApi;
const call: ReturnType<typeof authedSender> = (...args) =>
  authedSender(api.baseUrl, api.headers)(...args);

beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

const STAGED = '/v1/transactions/staged';
const create = async (body: Record<string, unknown> = {}) => {
  const id = freshId();
  expect((await call('POST', '/v1/items', { body: { id, ...body } })).status).toBe(201);
  return id;
};
const begin = async (ttlSeconds?: number) => {
  const answer = await call('POST', STAGED, ttlSeconds ? { body: { ttlSeconds } } : {});
  expect(answer.status).toBe(201);
  return answer.body.id as string;
};
const add = (tx: string, operation: unknown) =>
  call('POST', `${STAGED}/${tx}/operations`, { body: operation });
const commit = (tx: string) => call('POST', `${STAGED}/${tx}/commit`);
const read = (id: string) => call('GET', `/v1/items/${id}`);
const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('staged transactions', () => {
  it('takes operations one call at a time and commits them together; a second commit answers the first result', async () => {
    const [a, b] = [await create({ n: 1 }), await create({ n: 1 })];
    const begun = await call('POST', STAGED, { body: { ttlSeconds: 120 } });
    expect(begun.status).toBe(201);
    const tx = begun.body.id;
    expect(begun.headers.get('location')).toBe(`${STAGED}/${tx}`);
    expect(begun.body).toMatchObject({ state: 'open', operations: [] });

    const first = await add(tx, {
      op: 'patch',
      collection: 'items',
      id: a,
      ifMatch: '"1"',
      patch: { n: 2 },
    });
    expect(first.status).toBe(200);
    expect(first.body).toEqual({
      index: 0,
      operation: {
        op: 'patch',
        collection: 'items',
        id: a,
        patchFormat: 'merge',
        patch: { n: 2 },
        ifMatch: '"1"',
      },
    });
    expect(
      (await add(tx, { op: 'delete', collection: 'items', id: b, ifMatch: '"1"' })).body.index,
    ).toBe(1);
    const made = await add(tx, { op: 'create', collection: 'items', document: { n: 0 } });
    expect(made.body.index).toBe(2);
    const newId = made.body.operation.id;
    expect(newId).toMatch(/^[0-9A-Z]{26}$/);

    const state = await call('GET', `${STAGED}/${tx}`);
    expect(state.status).toBe(200);
    expect(state.body.operations.map((op: { op: string }) => op.op)).toEqual([
      'patch',
      'delete',
      'create',
    ]);
    // Nothing is written before the commit.
    expect((await read(a)).body.version).toBe(1);
    expect((await read(newId)).status).toBe(404);

    const committed = await commit(tx);
    expect(committed.status).toBe(200);
    expect(committed.body.results.map((r: { status: number }) => r.status)).toEqual([
      200, 204, 201,
    ]);
    expect((await read(a)).body).toEqual({ id: a, version: 2, n: 2 });
    expect((await read(b)).status).toBe(404);
    expect((await read(newId)).body).toEqual({ id: newId, version: 1, n: 0 });

    const again = await commit(tx);
    expect(again.status).toBe(200);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(committed.body);
    expect((await read(a)).body.version).toBe(2);

    const late = await add(tx, { op: 'check', collection: 'items', id: a, ifMatch: '"2"' });
    expect(late.status).toBe(409);
    expect(late.body).toMatchObject({
      type: problemType('transaction-closed'),
      state: 'committed',
    });
    const after = await call('GET', `${STAGED}/${tx}`);
    expect(after.body).toMatchObject({
      state: 'committed',
      operations: [],
      results: committed.body.results,
    });
  });

  it('re-checks every captured ETag at commit: a stale one fails with its reason and nothing is written', async () => {
    const [a, b] = [await create({ n: 1 }), await create({ n: 1 })];
    const tx = await begin();
    await add(tx, {
      op: 'replace',
      collection: 'items',
      id: a,
      ifMatch: '"1"',
      document: { n: 5 },
    });
    await add(tx, { op: 'patch', collection: 'items', id: b, ifMatch: '"1"', patch: { n: 5 } });
    // Someone else changes b after it was staged.
    await call('PUT', `/v1/items/${b}`, { body: { n: 9 }, headers: { 'if-match': '"1"' } });
    const refused = await commit(tx);
    expect(refused.status).toBe(409);
    expect(refused.body.failed).toEqual([
      expect.objectContaining({
        index: 1,
        reason: 'version-mismatch',
        current: { version: 2, etag: '"2"', document: { id: b, version: 2, n: 9 } },
      }),
    ]);
    expect((await read(a)).body).toEqual({ id: a, version: 1, n: 1 });
    expect((await read(b)).body).toEqual({ id: b, version: 2, n: 9 });
    expect((await call('GET', `${STAGED}/${tx}`)).body.state).toBe('open');
  });

  it('refuses operations and commits after the expiry with 410', async () => {
    const a = await create();
    const tx = await begin(1);
    expect(
      (await add(tx, { op: 'check', collection: 'items', id: a, ifMatch: '"1"' })).status,
    ).toBe(200);
    await pause(1_100);
    const late = await add(tx, {
      op: 'delete',
      collection: 'items',
      id: freshId(),
      ifMatch: '"1"',
    });
    expect(late.status).toBe(410);
    expect(late.body).toMatchObject({
      type: problemType('transaction-expired'),
      expiresAt: expect.any(String),
    });
    expect((await commit(tx)).status).toBe(410);
    expect((await call('GET', `${STAGED}/${tx}`)).body.state).toBe('expired');
  });

  it('refuses further use once aborted; aborting again is fine', async () => {
    const a = await create();
    const tx = await begin();
    await add(tx, { op: 'delete', collection: 'items', id: a, ifMatch: '"1"' });
    expect((await call('DELETE', `${STAGED}/${tx}`)).status).toBe(204);
    const added = await add(tx, { op: 'check', collection: 'items', id: a, ifMatch: '"1"' });
    expect(added.status).toBe(409);
    expect(added.body).toMatchObject({ type: problemType('transaction-closed'), state: 'aborted' });
    expect((await commit(tx)).status).toBe(409);
    expect((await call('DELETE', `${STAGED}/${tx}`)).status).toBe(204);
    expect((await read(a)).body.version).toBe(1);
  });

  it('checks each operation as it is added: 422 with pointers, one operation per document, and room', async () => {
    const a = await create();
    const tx = await begin();
    const invalid = await add(tx, {
      op: 'patch',
      collection: 'items',
      id: a,
      ifMatch: 'x',
      patch: {},
    });
    expect(invalid.status).toBe(422);
    expect(invalid.body.errors).toEqual([{ pointer: '/ifMatch', message: expect.any(String) }]);
    const unguarded = await add(tx, { op: 'replace', collection: 'items', id: a, document: {} });
    expect(unguarded.status).toBe(422);
    expect(unguarded.body.errors).toEqual([
      { pointer: '', message: expect.stringContaining('ifMatch') },
    ]);
    expect(
      (await add(tx, { op: 'check', collection: 'items', id: a, ifMatch: '"1"' })).status,
    ).toBe(200);
    const twice = await add(tx, { op: 'delete', collection: 'items', id: a, ifMatch: '"1"' });
    expect(twice.status).toBe(422);
    expect(twice.body.errors).toEqual([
      { pointer: '/id', message: expect.stringContaining('operation 0') },
    ]);
    // 1 check (1 action) + 32 writes (3 actions each) = 97; a 33rd write would need 100.
    for (let i = 0; i < 32; i++) {
      const made = await add(tx, { op: 'create', collection: 'items', document: {} });
      expect(made.status).toBe(200);
    }
    const full = await add(tx, { op: 'create', collection: 'items', document: {} });
    expect(full.status).toBe(422);
    expect(full.body.errors[0].message).toContain('at most 33 writes');
    expect(
      (await add(tx, { op: 'check', collection: 'items', id: freshId(), ifNoneMatch: '*' })).status,
    ).toBe(200);
    expect((await commit(tx)).body.results).toHaveLength(34);
  });

  it('answers 404 for an unknown id and for another tenant’s transaction, 422 for an empty commit', async () => {
    expect((await call('GET', `${STAGED}/${freshId()}`)).status).toBe(404);
    expect((await commit(freshId())).status).toBe(404);
    const tx = await begin();
    const { key } = await createApiKey(api.keys, {
      tenant: uniqueName('tenant'),
      scopes: ['read', 'write'],
      quota: 1_000,
    });
    const theirs = authedSender(api.baseUrl, { authorization: `Bearer ${key}` });
    expect((await theirs('GET', `${STAGED}/${tx}`)).status).toBe(404);
    expect(
      (
        await theirs('POST', `${STAGED}/${tx}/operations`, {
          body: { op: 'check', collection: 'items', id: 'x', ifNoneMatch: '*' },
        })
      ).status,
    ).toBe(404);
    expect((await theirs('POST', `${STAGED}/${tx}/commit`)).status).toBe(404);
    expect((await theirs('DELETE', `${STAGED}/${tx}`)).status).toBe(404);
    const empty = await commit(tx);
    expect(empty.status).toBe(422);
    expect((await call('POST', STAGED, { body: { ttlSeconds: 0 } })).status).toBe(400);
  });
});
