import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { ApiKeyStore } from '../../../functions/core/api-keys';
import { type ConcordConfig, parseConfig } from '../../../functions/core/config';
import type { ItemStore } from '../../../functions/core/items-model';
import { createApiKey } from '../../../functions/core/key-admin';
import { createHttpHandler } from '../../../functions/http/app';
import { createMemoryApiKeyStore } from '../../helpers/memory-api-key-store';
import { createMemoryItemStore } from '../../helpers/memory-item-store';

const config = (profile: ConcordConfig['profile'] = 'default'): ConcordConfig =>
  parseConfig({
    profile,
    collections: [{ name: 'notes' }, { name: 'open', requirePrecondition: false }],
  });

const API_KEY = 'ck_unit-test-key';
const TENANT = 'acme';

/** One known key with room to spare; any other key is unknown. */
const keyStore = (): ApiKeyStore => {
  const keys = createMemoryApiKeyStore();
  void createApiKey(keys, {
    tenant: TENANT,
    scopes: ['read', 'write'],
    quota: 1_000_000,
    key: API_KEY,
  });
  return keys;
};

interface Request {
  readonly method: string;
  readonly route: string;
  readonly path: string;
  readonly params?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly query?: Record<string, string>;
  readonly body?: unknown;
}

/** An API Gateway v2 event as the HTTP API would build it. */
const eventOf = (r: Request): APIGatewayProxyEventV2 => {
  const body = r.body === undefined ? undefined : JSON.stringify(r.body);
  return {
    version: '2.0',
    routeKey: `${r.method} ${r.route}`,
    rawPath: r.path,
    rawQueryString: new URLSearchParams(r.query ?? {}).toString(),
    headers: {
      host: 'api.example.com',
      authorization: `Bearer ${API_KEY}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...r.headers,
    },
    ...(r.query ? { queryStringParameters: r.query } : {}),
    ...(r.params ? { pathParameters: r.params } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: {
        method: r.method,
        path: r.path,
        protocol: 'HTTP/1.1',
        sourceIp: '203.0.113.1',
        userAgent: 'test',
      },
      requestId: 'req-1',
      routeKey: `${r.method} ${r.route}`,
      stage: '$default',
      time: '01/Jan/2024:00:00:00 +0000',
      timeEpoch: 1704067200000,
    },
    ...(body !== undefined ? { body } : {}),
    isBase64Encoded: false,
  };
};

const context = { functionName: 'concord', awsRequestId: 'aws-1' } as unknown as Context;

const app = (store: ItemStore = createMemoryItemStore(), profile?: ConcordConfig['profile']) => {
  const handler = createHttpHandler({ config: config(profile), store, keys: keyStore() });
  return async (r: Request) => {
    const response = await handler(eventOf(r), context);
    const text = response.body ?? '';
    return { ...response, json: text ? (JSON.parse(text) as Record<string, unknown>) : undefined };
  };
};

const ITEM = '/v1/{collection}/{id}';
const COLLECTION = '/v1/{collection}';
const doc = (method: string, id: string, extra: Partial<Request> = {}): Request => ({
  method,
  route: ITEM,
  path: `/v1/notes/${id}`,
  params: { collection: 'notes', id },
  ...extra,
});

let errorLog: ReturnType<typeof vi.spyOn>;
beforeEach(() => {
  errorLog = vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => {
  errorLog.mockRestore();
});

describe('createHttpHandler', () => {
  it('answers POST with 201, Location and ETag', async () => {
    const send = app();
    const res = await send({
      method: 'POST',
      route: COLLECTION,
      path: '/v1/notes',
      params: { collection: 'notes' },
      body: { id: 'n1', title: 'hello' },
    });
    expect(res.statusCode).toBe(201);
    expect(res.headers?.location).toBe('/v1/notes/n1');
    expect(res.headers?.etag).toBe('"1"');
    expect(res.headers?.['content-type']).toBe('application/json');
    expect(res.json).toEqual({ id: 'n1', version: 1, title: 'hello' });
  });

  it('routes by routeKey to read, replace, patch and delete', async () => {
    const send = app();
    const created = await send(
      doc('PUT', 'n1', { headers: { 'if-none-match': '*' }, body: { a: 1 } }),
    );
    expect(created.statusCode).toBe(201);
    expect(created.headers?.location).toBe('/v1/notes/n1');

    const read = await send(doc('GET', 'n1'));
    expect(read.statusCode).toBe(200);
    expect(read.headers?.etag).toBe('"1"');
    expect(read.json).toEqual({ id: 'n1', version: 1, a: 1 });

    const replaced = await send(
      doc('PUT', 'n1', { headers: { 'if-match': '"1"' }, body: { a: 2 } }),
    );
    expect(replaced.statusCode).toBe(200);
    expect(replaced.headers?.etag).toBe('"2"');
    expect(replaced.headers).not.toHaveProperty('location');

    const patched = await send(
      doc('PATCH', 'n1', {
        headers: { 'if-match': '"2"', 'content-type': 'application/merge-patch+json' },
        body: { b: true },
      }),
    );
    expect(patched.statusCode).toBe(200);
    expect(patched.json).toEqual({ id: 'n1', version: 3, a: 2, b: true });

    const deleted = await send(doc('DELETE', 'n1', { headers: { 'if-match': '"3"' } }));
    expect(deleted.statusCode).toBe(204);
    expect(deleted.body).toBe('');

    const gone = await send(doc('GET', 'n1'));
    expect(gone.statusCode).toBe(404);
  });

  it('applies a JSON Patch sent as application/json-patch+json', async () => {
    const send = app();
    await send(doc('PUT', 'n1', { headers: { 'if-none-match': '*' }, body: { a: 1 } }));
    const res = await send(
      doc('PATCH', 'n1', {
        headers: { 'if-match': '"1"', 'content-type': 'application/json-patch+json' },
        body: [{ op: 'add', path: '/b', value: 2 }],
      }),
    );
    expect(res.statusCode).toBe(200);
    expect(res.json).toEqual({ id: 'n1', version: 2, a: 1, b: 2 });
  });

  it('answers 304 with the ETag and no body when If-None-Match matches', async () => {
    const send = app();
    await send(doc('PUT', 'n1', { headers: { 'if-none-match': '*' }, body: { a: 1 } }));
    const res = await send(doc('GET', 'n1', { headers: { 'if-none-match': 'W/"1"' } }));
    expect(res.statusCode).toBe(304);
    expect(res.headers?.etag).toBe('"1"');
    expect(res.body).toBe('');
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const send = app();
    await send(doc('PUT', 'n1', { headers: { 'if-none-match': '*' }, body: { a: 1 } }));
    const res = await send(doc('HEAD', 'n1'));
    expect(res.statusCode).toBe(200);
    expect(res.headers?.etag).toBe('"1"');
    expect(res.headers?.['content-type']).toBe('application/json');
    expect(res.body).toBe('');
    const list = await send({
      method: 'HEAD',
      route: COLLECTION,
      path: '/v1/notes',
      params: { collection: 'notes' },
    });
    expect(list.statusCode).toBe(200);
    expect(list.body).toBe('');
  });

  it('answers a failed HEAD with the problem status and no body', async () => {
    const res = await app()(doc('HEAD', 'missing'));
    expect(res.statusCode).toBe(404);
    expect(res.headers?.['content-type']).toBe('application/problem+json');
    expect(res.body).toBe('');
  });

  it('answers 409 with the current ETag when If-Match is stale', async () => {
    const send = app();
    await send(doc('PUT', 'n1', { headers: { 'if-none-match': '*' }, body: { a: 1 } }));
    await send(doc('PUT', 'n1', { headers: { 'if-match': '"1"' }, body: { a: 2 } }));
    const res = await send(doc('PUT', 'n1', { headers: { 'if-match': '"1"' }, body: { a: 3 } }));
    expect(res.statusCode).toBe(409);
    expect(res.headers?.['content-type']).toBe('application/problem+json');
    expect(res.headers?.etag).toBe('"2"');
    expect(res.json).toMatchObject({
      type: '/docs#problem-version-mismatch',
      status: 409,
      instance: '/v1/notes/n1',
      current: { version: 2, etag: '"2"', document: { id: 'n1', version: 2, a: 2 } },
    });
  });

  it('answers 412 for a stale If-Match in the strict profile', async () => {
    const send = app(createMemoryItemStore(), 'strict-http');
    await send(doc('PUT', 'n1', { headers: { 'if-none-match': '*' }, body: { a: 1 } }));
    const res = await send(doc('PUT', 'n1', { headers: { 'if-match': '"9"' }, body: { a: 3 } }));
    expect(res.statusCode).toBe(412);
    expect(res.json?.type).toBe('/docs#problem-version-mismatch');
  });

  it('answers a duplicate POST with 409 and the Location of the existing document', async () => {
    const send = app();
    const post = {
      method: 'POST',
      route: COLLECTION,
      path: '/v1/notes',
      params: { collection: 'notes' },
      body: { id: 'n1' },
    };
    await send(post);
    const res = await send(post);
    expect(res.statusCode).toBe(409);
    expect(res.headers?.location).toBe('/v1/notes/n1');
    expect(res.json?.location).toBe('/v1/notes/n1');
  });

  it('answers 428 for an unconditional write to a collection that requires a precondition', async () => {
    const res = await app()(doc('PUT', 'n1', { body: { a: 1 } }));
    expect(res.statusCode).toBe(428);
    expect(res.json?.type).toBe('/docs#problem-precondition-required');
  });

  it('answers 400 for a malformed If-Match', async () => {
    const res = await app()(doc('PUT', 'n1', { headers: { 'if-match': '1' }, body: {} }));
    expect(res.statusCode).toBe(400);
    expect(res.json?.detail).toBe('If-Match must be * or a list of entity tags such as "7"');
  });

  it('puts CORS headers on successes and on errors', async () => {
    const send = app();
    const ok = await send({
      method: 'GET',
      route: COLLECTION,
      path: '/v1/open',
      params: { collection: 'open' },
      headers: { origin: 'https://app.example' },
    });
    const failed = await send(
      doc('GET', 'missing', { headers: { origin: 'https://app.example' } }),
    );
    for (const res of [ok, failed]) {
      expect(res.headers?.['Access-Control-Allow-Origin']).toBe('*');
      expect(res.headers?.['Access-Control-Expose-Headers']).toContain('ETag');
    }
    expect(failed.statusCode).toBe(404);
    expect(failed.headers?.['content-type']).toBe('application/problem+json');
  });

  it('answers 404 problem+json for an unknown route key', async () => {
    const res = await app()({ method: 'GET', route: '/v2/{x}', path: '/v2/x', params: { x: 'x' } });
    expect(res.statusCode).toBe(404);
    expect(res.headers?.['content-type']).toBe('application/problem+json');
    expect(res.json).toMatchObject({ status: 404, detail: 'no route for /v2/x' });
  });

  it('lists documents with a limit and a next cursor', async () => {
    const send = app();
    for (const id of ['b', 'a', 'c']) {
      await send({
        method: 'PUT',
        route: ITEM,
        path: `/v1/open/${id}`,
        params: { collection: 'open', id },
        body: { n: id },
      });
    }
    const list = (query?: Record<string, string>) =>
      send({
        method: 'GET',
        route: COLLECTION,
        path: '/v1/open',
        params: { collection: 'open' },
        ...(query ? { query } : {}),
      });
    const first = await list({ limit: '2' });
    expect(first.statusCode).toBe(200);
    expect(first.json?.items).toEqual([
      { id: 'a', version: 1, n: 'a' },
      { id: 'b', version: 1, n: 'b' },
    ]);
    expect(first.json?.nextCursor).toEqual(expect.any(String));
    const second = await list({ limit: '2', cursor: String(first.json?.nextCursor) });
    expect(second.json).toEqual({ items: [{ id: 'c', version: 1, n: 'c' }], nextCursor: null });
    for (const limit of ['0', '101', 'abc', '1e2', '-1']) {
      expect((await list({ limit })).statusCode).toBe(400);
    }
  });

  it('answers 415 for a body that is not JSON by its Content-Type', async () => {
    const res = await app()(
      doc('PUT', 'n1', {
        headers: { 'if-none-match': '*', 'content-type': 'text/plain' },
        body: {},
      }),
    );
    expect(res.statusCode).toBe(415);
    expect(res.headers?.accept).toBe('application/json');
  });

  it('answers a store bug with a generic 500 and logs it', async () => {
    const broken: ItemStore = {
      get: async () => {
        throw new Error('secret table name leaked');
      },
      snapshot: async () => {
        throw new Error('unused');
      },
      commit: async () => {
        throw new Error('unused');
      },
      snapshotMany: async () => {
        throw new Error('unused');
      },
      staged: createMemoryItemStore().staged,
      conflicts: createMemoryItemStore().conflicts,
      listVersions: async () => ({ entries: [] }),
      list: async () => ({ items: [] }),
    };
    const res = await app(broken)(doc('GET', 'n1'));
    expect(res.statusCode).toBe(500);
    expect(res.body).not.toContain('secret');
    expect(res.json?.type).toBe('/docs#problem-internal');
    expect(res.headers?.['Access-Control-Allow-Origin']).toBe('*');
    expect(errorLog).toHaveBeenCalledTimes(1);
  });

  it('stores documents under the tenant of the API key', async () => {
    const store = createMemoryItemStore();
    await app(store)(doc('PUT', 'n1', { headers: { 'if-none-match': '*' }, body: { a: 1 } }));
    const key = { collection: 'notes', id: 'n1' };
    expect((await store.get({ tenant: TENANT, ...key }))?.body).toEqual({ a: 1 });
    expect(await store.get({ tenant: 'default', ...key })).toBeUndefined();
  });

  it('answers 401 problem+json with CORS headers for an unknown key', async () => {
    const res = await app()(doc('GET', 'n1', { headers: { authorization: 'Bearer ck_other' } }));
    expect(res.statusCode).toBe(401);
    expect(res.headers?.['content-type']).toBe('application/problem+json');
    expect(res.headers?.['Access-Control-Allow-Origin']).toBe('*');
    expect(res.json?.type).toBe('/docs#problem-unauthorized');
  });

  it('serves the OpenAPI document', async () => {
    const res = await app()({ method: 'GET', route: '/v1/openapi.json', path: '/v1/openapi.json' });
    expect(res.statusCode).toBe(200);
    expect(String(res.json?.openapi)).toMatch(/^3\.1/);
  });
});

describe('CORS origins of a deployment', () => {
  const list = (origin: string) => ({
    method: 'GET',
    route: COLLECTION,
    path: '/v1/notes',
    params: { collection: 'notes' },
    headers: { origin },
  });

  it('allows only the configured origins when a deployment narrows them', async () => {
    const handler = createHttpHandler({
      config: config(),
      store: createMemoryItemStore(),
      keys: keyStore(),
      corsOrigins: ['https://app.example.com'],
    });
    const allowed = await handler(eventOf(list('https://app.example.com')), context);
    expect(allowed.headers?.['Access-Control-Allow-Origin']).toBe('https://app.example.com');
    expect(allowed.headers?.Vary).toBe('Origin');
    const other = await handler(eventOf(list('https://evil.example.net')), context);
    expect(other.headers?.['Access-Control-Allow-Origin']).toBeUndefined();
    expect(other.headers?.Vary).toBe('Origin');
    expect(other.headers?.['Access-Control-Expose-Headers']).toContain('ETag');
  });

  it('allows every origin by default', async () => {
    const response = await app()(list('https://anywhere.example.org'));
    expect(response.headers?.['Access-Control-Allow-Origin']).toBe('*');
    expect(response.headers?.Vary).toBeUndefined();
    expect(response.headers?.['Access-Control-Allow-Headers']).toContain('Idempotency-Key');
    expect(response.headers?.['Access-Control-Max-Age']).toBe('600');
  });
});
