/**
 * API keys, tenancy and rate limits through real HTTP against DynamoDB Local.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ADMISSION } from '../../functions/core/access';
import { parseConfig } from '../../functions/core/config';
import { createApiKey } from '../../functions/core/key-admin';
import { routes } from '../../functions/http/routes';
import { type Answer, freshId, PROBLEM, problemType, send } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';

/** With quota 5 the interval is 2 s: a 20-request burst takes far less than that here. */
const WINDOW_SECONDS = 10;
let api: TestApi;
/** The admission's clock: real time, moved on by the tests that wait out a cached key. */
let skewMs = 0;

const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const newKey = async (tenant: string, scopes: string[], quota = 1_000) =>
  (await createApiKey(api.keys, { tenant, scopes, quota, windowSeconds: WINDOW_SECONDS })).key;

const expectProblem = (answer: Answer, status: number, type: string) => {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toBe(PROBLEM);
  expect(answer.body.type).toBe(problemType(type));
};

beforeAll(async () => {
  api = await startApi({
    access: { now: () => Date.now() + skewMs },
    config: parseConfig({
      rateLimit: { windowSeconds: WINDOW_SECONDS, defaultQuota: 100 },
      collections: [{ name: 'items' }],
    }),
  });
});
afterAll(() => api.close());

describe('authentication', () => {
  it('answers 401 with WWW-Authenticate on every route but the OpenAPI document', async () => {
    for (const route of routes) {
      const path = route.path
        .replace('{collection}', 'items')
        .replace('{id}', 'x')
        .replace('{version}', '1');
      const answer = await send(api.baseUrl, route.method, path, {
        ...(['POST', 'PUT'].includes(route.method) ? { body: {} } : {}),
      });
      if (!route.auth) {
        expect(answer.status).toBe(200);
        continue;
      }
      expect(answer.status, `${route.method} ${route.path}`).toBe(401);
      expect(answer.headers.get('www-authenticate')).toBe('Bearer realm="concord"');
      if (route.method !== 'HEAD') expectProblem(answer, 401, 'unauthorized');
    }
  });

  it('answers 401 alike for a wrong key, a malformed header and a revoked key', async () => {
    const key = await newKey('revokable', ['read', 'write']);
    const path = `/v1/items/${freshId()}`;
    expect((await send(api.baseUrl, 'GET', path, { headers: bearer(key) })).status).toBe(404);
    const keyId = (await api.keys.list()).find((k) => k.tenant === 'revokable')?.keyId ?? '';
    expect(await api.keys.revoke(keyId, new Date().toISOString())).toBe(true);
    // An instance trusts what it learnt of a key for freshMs: revocation holds after that.
    skewMs += DEFAULT_ADMISSION.freshMs;
    const answers = [
      await send(api.baseUrl, 'GET', path, { headers: bearer(key) }),
      await send(api.baseUrl, 'GET', path, { headers: bearer(`${key}x`) }),
      await send(api.baseUrl, 'GET', path, { headers: { authorization: 'Basic dXNlcjpwYXNz' } }),
      await send(api.baseUrl, 'GET', path, { headers: { authorization: 'Bearer ' } }),
    ];
    for (const answer of answers) expectProblem(answer, 401, 'unauthorized');
    expect(answers[0]?.body.detail).toBe(answers[1]?.body.detail);
    expect(answers[0]?.headers.get('www-authenticate')).toContain('error="invalid_token"');
  });

  it('answers 403 when a read-only key writes, and changes nothing', async () => {
    const id = freshId();
    const reader = await newKey(api.tenant, ['read']);
    const denied = await send(api.baseUrl, 'POST', '/v1/items', {
      body: { id },
      headers: bearer(reader),
    });
    expectProblem(denied, 403, 'forbidden');
    expect(denied.headers.get('www-authenticate')).toContain('insufficient_scope');
    const read = await send(api.baseUrl, 'GET', `/v1/items/${id}`, { headers: bearer(reader) });
    expect(read.status).toBe(404);
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const answer = await send(api.baseUrl, method, `/v1/items/${id}`, {
        ...(method === 'DELETE' ? {} : { raw: '{}' }),
        headers: { ...bearer(reader), 'if-none-match': '*' },
      });
      expect(answer.status).toBe(403);
    }
  });
});

describe('tenancy', () => {
  let alice: Record<string, string>;
  let bob: Record<string, string>;
  beforeAll(async () => {
    alice = bearer(await newKey('alice', ['read', 'write']));
    bob = bearer(await newKey('bob', ['read', 'write']));
  });

  /** What a client can observe of an answer, with the id itself taken out. */
  const observable = (answer: Answer, id: string) => ({
    status: answer.status,
    body: JSON.parse(JSON.stringify(answer.body).replaceAll(id, 'ID')),
    etag: answer.headers.get('etag'),
  });

  it("answers another tenant's id exactly as a missing id, for every verb", async () => {
    const theirs = freshId();
    const missing = freshId();
    const created = await send(api.baseUrl, 'POST', '/v1/items', {
      body: { id: theirs, secret: 1 },
      headers: bob,
    });
    expect(created.status).toBe(201);
    const attempts: Array<[string, Record<string, string>, string | undefined]> = [
      ['GET', {}, undefined],
      ['HEAD', {}, undefined],
      ['PUT', { 'if-match': '"1"' }, '{"stolen":true}'],
      [
        'PATCH',
        { 'if-match': '"1"', 'content-type': 'application/merge-patch+json' },
        '{"stolen":true}',
      ],
      ['DELETE', { 'if-match': '"1"' }, undefined],
      ['GET', { 'if-match': '"1"' }, undefined],
    ];
    for (const [method, headers, raw] of attempts) {
      const request = (id: string) =>
        send(api.baseUrl, method, `/v1/items/${id}`, {
          ...(raw ? { raw } : {}),
          headers: { ...alice, ...headers },
        });
      const onTheirs = observable(await request(theirs), theirs);
      const onMissing = observable(await request(missing), missing);
      expect(onTheirs, `${method}`).toEqual(onMissing);
      expect(onTheirs.status).toBe(404);
    }
    const list = await send(api.baseUrl, 'GET', '/v1/items?limit=100', { headers: alice });
    expect(list.body.items.map((d: { id: string }) => d.id)).not.toContain(theirs);
    const still = await send(api.baseUrl, 'GET', `/v1/items/${theirs}`, { headers: bob });
    expect(still.body).toEqual({ id: theirs, version: 1, secret: 1 });
  });

  it('lets two tenants use the same collection and id independently', async () => {
    const id = freshId();
    const a = await send(api.baseUrl, 'POST', '/v1/items', {
      body: { id, owner: 'alice' },
      headers: alice,
    });
    const b = await send(api.baseUrl, 'POST', '/v1/items', {
      body: { id, owner: 'bob' },
      headers: bob,
    });
    expect([a.status, b.status]).toEqual([201, 201]);
    await send(api.baseUrl, 'PUT', `/v1/items/${id}`, {
      body: { owner: 'alice', again: true },
      headers: { ...alice, 'if-match': '"1"' },
    });
    expect((await send(api.baseUrl, 'GET', `/v1/items/${id}`, { headers: alice })).body).toEqual({
      id,
      version: 2,
      owner: 'alice',
      again: true,
    });
    expect((await send(api.baseUrl, 'GET', `/v1/items/${id}`, { headers: bob })).body).toEqual({
      id,
      version: 1,
      owner: 'bob',
    });
  });
});

describe('rate limiting', () => {
  it('carries RateLimit-Policy and RateLimit on successful answers', async () => {
    const key = await newKey('counted', ['read', 'write'], 10);
    const first = await send(api.baseUrl, 'GET', '/v1/items', { headers: bearer(key) });
    expect(first.status).toBe(200);
    expect(first.headers.get('ratelimit-policy')).toBe(`"default";q=10;w=${WINDOW_SECONDS}`);
    const state = /^"default";r=(\d+);t=(\d+)$/.exec(first.headers.get('ratelimit') ?? '');
    expect(state).not.toBeNull();
    expect(Number(state?.[2])).toBeGreaterThanOrEqual(1);
    expect(Number(state?.[1])).toBe(9);
    expect(Number(state?.[2])).toBeLessThanOrEqual(WINDOW_SECONDS);
  });

  it('admits exactly the quota of concurrent requests and gives the rest an honest 429', async () => {
    const quota = 5;
    const key = await newKey('limited', ['read'], quota);
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        send(api.baseUrl, 'GET', '/v1/items', { headers: bearer(key) }),
      ),
    );
    const answers = results.map((r) => {
      if (r.status === 'rejected') throw r.reason;
      return r.value;
    });
    const admitted = answers.filter((a) => a.status === 200);
    const limited = answers.filter((a) => a.status === 429);
    expect(admitted).toHaveLength(quota);
    expect(limited).toHaveLength(20 - quota);
    const remaining = admitted.map((a) =>
      Number(/r=(\d+)/.exec(a.headers.get('ratelimit') ?? '')?.[1]),
    );
    expect(remaining.sort()).toEqual([0, 1, 2, 3, 4]);
    let wait = 0;
    for (const answer of limited) {
      expectProblem(answer, 429, 'rate-limited');
      expect(answer.body.retryable).toBe(true);
      wait = Math.max(wait, Number(answer.headers.get('retry-after')));
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(answer.headers.get('ratelimit-policy')).toBe(
        `"default";q=${quota};w=${WINDOW_SECONDS}`,
      );
      expect(answer.headers.get('ratelimit')).toMatch(/^"default";r=0;t=\d+$/);
    }
    // GCRA: the next request is admitted one interval (window / quota) after the burst.
    expect(wait).toBeLessThanOrEqual(WINDOW_SECONDS / quota);
    await new Promise((r) => setTimeout(r, wait * 1000));
    const after = await send(api.baseUrl, 'GET', '/v1/items', { headers: bearer(key) });
    expect(after.status).toBe(200);
  });
});
