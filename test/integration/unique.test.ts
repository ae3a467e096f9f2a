/**
 * Unique fields through real HTTP against DynamoDB Local: the guard of each
 * value commits with the write that claims or releases it.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config';
import { createApiKey } from '../../functions/core/key-admin';
import { type Answer, authedSender, freshId, problemType } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';

let api: TestApi;
let other: ReturnType<typeof authedSender>;
const call: ReturnType<typeof authedSender> = (...args) =>
  authedSender(api.baseUrl, api.headers)(...args);
const MERGE = { 'content-type': 'application/merge-patch+json' };

beforeAll(async () => {
  api = await startApi({
    config: parseConfig({ collections: [{ name: 'people', unique: ['email', 'badge'] }] }),
  });
  const { key } = await createApiKey(api.keys, {
    tenant: 'unique-other',
    scopes: ['read', 'write'],
    quota: 1_000,
  });
  other = authedSender(api.baseUrl, { authorization: `Bearer ${key}` });
});
afterAll(() => api.close());

const email = () => `${freshId()}@example.com`;
const create = (body: Record<string, unknown>, sender = call) =>
  sender('POST', '/v1/people', { body });
const expectTaken = (answer: Answer, field: string, owner?: string) => {
  expect(answer.status).toBe(409);
  expect(answer.body.type).toBe(problemType('unique-violation'));
  expect(answer.body.field).toBe(field);
  if (owner) expect(answer.body.location).toBe(`/v1/people/${owner}`);
};
const versionsOf = async (id: string): Promise<number[]> =>
  (await call('GET', `/v1/people/${id}/versions`)).body.items.map(
    (v: { version: number }) => v.version,
  );

describe('unique fields', () => {
  it('lets exactly one of 20 concurrent creates of different ids take one value', async () => {
    const shared = email();
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, (_, i) =>
        create({ id: `racer-${freshId()}-${i}`, email: shared }),
      ),
    );
    const answers = results.map((r) => {
      if (r.status === 'rejected') throw r.reason;
      return r.value;
    });
    const winners = answers.filter((a) => a.status === 201);
    expect(winners).toHaveLength(1);
    const losers = answers.filter((a) => a.status !== 201);
    expect(losers).toHaveLength(19);
    for (const loser of losers) expectTaken(loser, 'email', winners[0]?.body.id);
  });

  it('refuses to change a value to one another document holds, and writes nothing', async () => {
    const taken = email();
    const holder = (await create({ email: taken })).body.id;
    const mine = (await create({ email: email() })).body;
    const put = await call('PUT', `/v1/people/${mine.id}`, {
      body: { email: taken },
      headers: { 'if-match': '"1"' },
    });
    expectTaken(put, 'email', holder);
    const patch = await call('PATCH', `/v1/people/${mine.id}`, {
      raw: JSON.stringify({ email: taken }),
      headers: { ...MERGE, 'if-match': '"1"' },
    });
    expectTaken(patch, 'email', holder);
    expect((await call('GET', `/v1/people/${mine.id}`)).body).toEqual(mine);
    expect(await versionsOf(mine.id)).toEqual([1]);
  });

  it('lets a document keep its own values through replaces and unrelated patches', async () => {
    const value = email();
    const { id } = (await create({ email: value, badge: 7, name: 'a' })).body;
    const put = await call('PUT', `/v1/people/${id}`, {
      body: { email: value, badge: 7, name: 'b' },
      headers: { 'if-match': '"1"' },
    });
    expect(put.status).toBe(200);
    const patch = await call('PATCH', `/v1/people/${id}`, {
      raw: '{"name":"c"}',
      headers: { ...MERGE, 'if-match': '"2"' },
    });
    expect(patch.status).toBe(200);
    expectTaken(await create({ email: value }), 'email', id);
    expectTaken(await create({ badge: 7 }), 'badge', id);
  });

  it('frees a value changed by an update or a delete for the next document at once', async () => {
    const first = email();
    const { id } = (await create({ email: first })).body;
    await call('PATCH', `/v1/people/${id}`, {
      raw: JSON.stringify({ email: email() }),
      headers: { ...MERGE, 'if-match': '"1"' },
    });
    expect((await create({ email: first })).status).toBe(201);

    const second = email();
    const { id: leaving } = (await create({ email: second })).body;
    expect(
      (await call('DELETE', `/v1/people/${leaving}`, { headers: { 'if-match': '"1"' } })).status,
    ).toBe(204);
    expect((await create({ email: second })).status).toBe(201);

    const third = email();
    const { id: dropping } = (await create({ email: third })).body;
    await call('PATCH', `/v1/people/${dropping}`, {
      raw: '{"email":null}',
      headers: { ...MERGE, 'if-match': '"1"' },
    });
    expect((await create({ email: third })).status).toBe(201);
  });

  it('holds nothing for a missing or null value', async () => {
    expect((await create({ name: 'no email' })).status).toBe(201);
    expect((await create({ name: 'no email either' })).status).toBe(201);
    expect((await create({ email: null })).status).toBe(201);
    expect((await create({ email: null })).status).toBe(201);
  });

  it('compares values as JSON, whatever the order of object keys', async () => {
    const badge = { site: freshId(), n: 1 };
    const { id } = (await create({ badge })).body;
    expectTaken(await create({ badge: { n: 1, site: badge.site } }), 'badge', id);
    expect((await create({ badge: { ...badge, n: 2 } })).status).toBe(201);
    expect((await create({ badge: `${JSON.stringify(badge)}` })).status).toBe(201);
  });

  it('refuses a restore whose value another document took since', async () => {
    const value = email();
    const { id } = (await create({ email: value })).body;
    await call('PUT', `/v1/people/${id}`, {
      body: { email: email() },
      headers: { 'if-match': '"1"' },
    });
    const { id: taker } = (await create({ email: value })).body;
    const restore = await call('POST', `/v1/people/${id}/versions/1/restore`, {
      headers: { 'if-match': '"2"' },
    });
    expectTaken(restore, 'email', taker);
    expect(await versionsOf(id)).toEqual([2, 1]);
  });

  it('keeps values unique per tenant: another tenant may hold the same one', async () => {
    const value = email();
    expect((await create({ email: value })).status).toBe(201);
    expect((await create({ email: value }, other)).status).toBe(201);
    expectTaken(await create({ email: value }, other), 'email');
  });
});
