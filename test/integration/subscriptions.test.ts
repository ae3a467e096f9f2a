/**
 * Webhook subscriptions through HTTP against DynamoDB Local: registration
 * shows the secret once, listing never does, removal is per tenant, and URLs
 * that would let the API call into private networks are refused.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../functions/core/key-admin';
import { MAX_SUBSCRIPTIONS_PER_TENANT } from '../../functions/core/subscriptions';
import { type Answer, authedSender, PROBLEM, problemType } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';
import { uniqueName } from '../helpers/local-dynamo';

let api: TestApi;
let local: TestApi;
let call: ReturnType<typeof authedSender>;

beforeAll(async () => {
  [api, local] = await Promise.all([startApi(), startApi({ localMode: true })]);
  call = authedSender(api.baseUrl, api.headers);
});
afterAll(async () => {
  await Promise.all([api?.close(), local?.close()]);
});

const subscribe = (body: unknown, on: TestApi = api): Promise<Answer> =>
  authedSender(on.baseUrl, on.headers)('POST', '/v1/subscriptions', { body });

const expectRefusedUrl = (answer: Answer): void => {
  expect(answer.status).toBe(422);
  expect(answer.headers.get('content-type')).toContain(PROBLEM);
  expect(answer.body.type).toBe(problemType('validation-failed'));
  expect(answer.body.errors[0].pointer).toBe('/url');
};

describe('webhook subscriptions', () => {
  it('answers 201 with the secret once, and lists the subscription without it', async () => {
    const created = await subscribe({
      url: 'https://hooks.example.com/concord',
      events: ['document.created', 'conflict.created'],
      collection: 'items',
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9_-]{43}$/);
    expect(created.headers.get('location')).toBe(`/v1/subscriptions/${created.body.id}`);
    expect(created.headers.get('cache-control')).toBe('no-store');

    const listed = await call('GET', '/v1/subscriptions');
    expect(listed.status).toBe(200);
    const mine = listed.body.items.find((s: { id: string }) => s.id === created.body.id);
    expect(mine).toEqual({
      id: created.body.id,
      url: 'https://hooks.example.com/concord',
      events: ['document.created', 'conflict.created'],
      collection: 'items',
      createdAt: created.body.createdAt,
    });
    expect(JSON.stringify(listed.body)).not.toContain(created.body.secret);
  });

  it('removes a subscription, then answers 404 for it', async () => {
    const created = await subscribe({
      url: 'https://hooks.example.com/x',
      events: ['document.deleted'],
    });
    const path = `/v1/subscriptions/${created.body.id}`;
    expect((await call('DELETE', path)).status).toBe(204);
    const again = await call('DELETE', path);
    expect(again.status).toBe(404);
    expect(again.body.type).toBe(problemType('not-found'));
    const listed = await call('GET', '/v1/subscriptions');
    expect(listed.body.items.map((s: { id: string }) => s.id)).not.toContain(created.body.id);
  });

  it('refuses the dot-segment ids . and .. with 400, raw or encoded', async () => {
    // node:http sends the path as written; fetch would normalise the dots away.
    const status = (path: string) =>
      new Promise<number>((resolve, reject) => {
        const url = new URL(api.baseUrl);
        request(
          { host: url.hostname, port: url.port, path, method: 'DELETE', headers: api.headers },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        )
          .on('error', reject)
          .end();
      });
    for (const id of ['.', '..', '%2e', '%2e%2e', '.%2e']) {
      expect(await status(`/v1/subscriptions/${id}`)).toBe(400);
    }
  });

  it("neither lists nor removes another tenant's subscriptions", async () => {
    const created = await subscribe({
      url: 'https://hooks.example.com/t',
      events: ['document.updated'],
    });
    const { key } = await createApiKey(api.keys, {
      tenant: uniqueName('other'),
      scopes: ['read', 'write'],
      quota: 1000,
    });
    const other = authedSender(api.baseUrl, { authorization: `Bearer ${key}` });
    expect((await other('GET', '/v1/subscriptions')).body.items).toEqual([]);
    expect((await other('DELETE', `/v1/subscriptions/${created.body.id}`)).status).toBe(404);
    expect(
      (await call('GET', '/v1/subscriptions')).body.items.map((s: { id: string }) => s.id),
    ).toContain(created.body.id);
  });

  it('answers 422 for unknown event types, an empty list, unknown fields and a bad collection', async () => {
    const bad = await subscribe({
      url: 'https://hooks.example.com/',
      events: ['document.created', 'document.exploded'],
      collection: 'Not A Collection',
      extra: true,
    });
    expect(bad.status).toBe(422);
    expect(bad.body.errors.map((e: { pointer: string }) => e.pointer).sort()).toEqual([
      '/collection',
      '/events/1',
      '/extra',
    ]);
    expect((await subscribe({ url: 'https://hooks.example.com/', events: [] })).status).toBe(422);
    expect((await subscribe(['https://hooks.example.com/'])).status).toBe(422);
    expect((await call('POST', '/v1/subscriptions', { raw: '{' })).status).toBe(400);
  });

  it.each([
    ['plain http', 'http://hooks.example.com/'],
    ['plain http to loopback outside local mode', 'http://127.0.0.1:8080/'],
    ['loopback', 'https://127.0.0.1/'],
    ['localhost', 'https://localhost:8443/'],
    ['a name under localhost', 'https://api.localhost/'],
    ['IPv6 loopback', 'https://[::1]/'],
    ['IPv4-mapped IPv6 loopback', 'https://[::ffff:127.0.0.1]/'],
    ['a private address', 'https://10.0.0.8/'],
    ['a private address in hex', 'https://0xa000008/'],
    ['a private address as one number', 'https://167772168/'],
    ['a 192.168 address', 'https://192.168.1.20/'],
    ['the instance metadata address', 'https://169.254.169.254/latest/meta-data/'],
    ['an IPv6 unique local address', 'https://[fd12:3456::1]/'],
    ['an IPv6 link-local address', 'https://[fe80::1]/'],
    ['IPv4-mapped private address', 'https://[::ffff:10.0.0.1]/'],
    ['another scheme', 'ftp://hooks.example.com/'],
    ['credentials in the URL', 'https://user:pass@hooks.example.com/'],
    ['no URL at all', 42],
  ])('refuses %s with 422', async (_name, url) => {
    expectRefusedUrl(await subscribe({ url, events: ['document.created'] }));
  });

  it('in local mode, accepts http to loopback but still refuses private addresses and other http', async () => {
    expect(
      (await subscribe({ url: 'http://127.0.0.1:9/hook', events: ['document.created'] }, local))
        .status,
    ).toBe(201);
    expect(
      (await subscribe({ url: 'http://localhost:9/hook', events: ['document.created'] }, local))
        .status,
    ).toBe(201);
    expectRefusedUrl(
      await subscribe({ url: 'http://hooks.example.com/', events: ['document.created'] }, local),
    );
    expectRefusedUrl(
      await subscribe({ url: 'https://10.0.0.8/', events: ['document.created'] }, local),
    );
    expectRefusedUrl(
      await subscribe({ url: 'https://169.254.169.254/', events: ['document.created'] }, local),
    );
  });

  it('refuses a subscription past the limit per tenant with 422, also when registrations race', async () => {
    const { key } = await createApiKey(api.keys, {
      tenant: uniqueName('limit'),
      scopes: ['read', 'write'],
      quota: 1000,
    });
    const tenant = authedSender(api.baseUrl, { authorization: `Bearer ${key}` });
    const register = () =>
      tenant('POST', '/v1/subscriptions', {
        body: { url: 'https://hooks.example.com/limit', events: ['document.created'] },
      });
    const answers = await Promise.all(
      Array.from({ length: MAX_SUBSCRIPTIONS_PER_TENANT + 5 }, () => register()),
    );
    // Registrations that met a concurrent one in DynamoDB may be answered 503 (retryable).
    expect(answers.every((a) => [201, 422, 503].includes(a.status))).toBe(true);
    let listed = (await tenant('GET', '/v1/subscriptions')).body.items;
    // Fill up whatever a race left open, then one more must be refused.
    while (listed.length < MAX_SUBSCRIPTIONS_PER_TENANT) {
      expect((await register()).status).toBe(201);
      listed = (await tenant('GET', '/v1/subscriptions')).body.items;
    }
    expect(listed).toHaveLength(MAX_SUBSCRIPTIONS_PER_TENANT);
    const refused = await register();
    expect(refused.status).toBe(422);
    expect(refused.body.detail).toContain(`at most ${MAX_SUBSCRIPTIONS_PER_TENANT}`);
    expect((await tenant('DELETE', `/v1/subscriptions/${listed[0].id}`)).status).toBe(204);
    expect((await register()).status).toBe(201);
    expect((await register()).status).toBe(422);
  });
});
