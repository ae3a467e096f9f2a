import { createServer } from 'node:http';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLocalServer, type LocalServer, PortInUseError } from '../../../local/server';

// A fake handler that records its events and answers with what the test asks for.
const events: APIGatewayProxyEventV2[] = [];
let answer: APIGatewayProxyStructuredResultV2 = { statusCode: 200, body: 'ok' };
let fail = false;
const handler = vi.fn(async (event: APIGatewayProxyEventV2) => {
  events.push(event);
  if (fail) throw new Error('boom: secret internals');
  return answer;
});
const log = vi.fn();

let server: LocalServer;
beforeAll(async () => {
  server = await createLocalServer({ handler, port: 0, maxBodyBytes: 1024, log });
});
afterAll(() => server.close());

const lastEvent = (): APIGatewayProxyEventV2 => {
  const event = events.at(-1);
  if (!event) throw new Error('handler was not called');
  return event;
};

describe('createLocalServer', () => {
  it('listens on a free port when asked for port 0', () => {
    expect(server.port).toBeGreaterThan(0);
    expect(server.url).toBe(`http://127.0.0.1:${server.port}`);
  });

  it('builds a payload 2.0 event with the route key, params, query and headers', async () => {
    answer = { statusCode: 200, headers: { etag: '"3"' }, body: '{"a":1}' };
    const res = await fetch(`${server.url}/v1/items/x%20y?limit=2&tag=a&tag=b&flag`, {
      headers: { 'X-Custom': 'v', cookie: 'a=1; b=2', 'if-match': '"1"' },
    });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"3"');
    expect(await res.text()).toBe('{"a":1}');
    const event = lastEvent();
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /v1/{collection}/{id}',
      rawPath: '/v1/items/x%20y',
      rawQueryString: 'limit=2&tag=a&tag=b&flag',
      pathParameters: { collection: 'items', id: 'x y' },
      queryStringParameters: { limit: '2', tag: 'a,b', flag: '' },
      cookies: ['a=1', 'b=2'],
      isBase64Encoded: false,
      requestContext: {
        routeKey: 'GET /v1/{collection}/{id}',
        stage: '$default',
        http: { method: 'GET', path: '/v1/items/x%20y', sourceIp: '127.0.0.1' },
      },
    });
    expect(event.headers['x-custom']).toBe('v');
    expect(event.headers['if-match']).toBe('"1"');
    expect(event.headers.cookie).toBeUndefined();
    expect(event.body).toBeUndefined();
    expect(event.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('omits queryStringParameters and pathParameters when there are none', async () => {
    answer = { statusCode: 200, body: '{}' };
    await fetch(`${server.url}/v1/openapi.json`);
    expect(lastEvent().routeKey).toBe('GET /v1/openapi.json');
    expect(lastEvent().queryStringParameters).toBeUndefined();
    expect(lastEvent().pathParameters).toBeUndefined();
  });

  it('passes a UTF-8 body as text', async () => {
    await fetch(`${server.url}/v1/items`, { method: 'POST', body: '{"name":"Grüße"}' });
    expect(lastEvent()).toMatchObject({ body: '{"name":"Grüße"}', isBase64Encoded: false });
  });

  it('passes a body that is not UTF-8 as base64', async () => {
    const bytes = new Uint8Array([0xff, 0xfe, 0x00, 0x41]);
    await fetch(`${server.url}/v1/items`, { method: 'POST', body: bytes });
    expect(lastEvent()).toMatchObject({ body: '//4AQQ==', isBase64Encoded: true });
  });

  it('decodes a base64 answer from the handler', async () => {
    answer = {
      statusCode: 200,
      body: Buffer.from([1, 2, 255]).toString('base64'),
      isBase64Encoded: true,
    };
    const res = await fetch(`${server.url}/v1/items/a`);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(new Uint8Array([1, 2, 255]));
  });

  it('answers HEAD without a body', async () => {
    answer = { statusCode: 200, headers: { etag: '"1"' }, body: '{"a":1}' };
    const res = await fetch(`${server.url}/v1/items/a`, { method: 'HEAD' });
    expect(res.status).toBe(200);
    expect(res.headers.get('etag')).toBe('"1"');
    expect(await res.text()).toBe('');
    expect(lastEvent().requestContext.http.method).toBe('HEAD');
    expect(lastEvent().routeKey).toBe('HEAD /v1/{collection}/{id}');
  });

  it('answers 404 problem+json for a path no route has, without calling the handler', async () => {
    const calls = handler.mock.calls.length;
    const res = await fetch(`${server.url}/nowhere`);
    expect(res.status).toBe(404);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    const body = await res.json();
    expect(body).toMatchObject({ status: 404, instance: '/nowhere' });
    expect(body.type).toMatch(/not-found$/);
    expect(handler.mock.calls.length).toBe(calls);
  });

  it('answers 405 with Allow when the path exists with other methods', async () => {
    const res = await fetch(`${server.url}/v1/items`, { method: 'DELETE' });
    expect(res.status).toBe(405);
    expect(res.headers.get('allow')).toBe('POST, GET, HEAD, OPTIONS');
    expect((await res.json()).type).toMatch(/method-not-allowed$/);
  });

  it('answers OPTIONS preflight with 204 and the CORS headers', async () => {
    const res = await fetch(`${server.url}/v1/items/a`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'PUT' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-headers')).toContain('If-Match');
    expect(res.headers.get('access-control-allow-methods')).toContain('PATCH');
    expect(res.headers.get('access-control-expose-headers')).toContain('ETag');
  });

  it('answers 413 problem+json for a body over the cap without calling the handler', async () => {
    const calls = handler.mock.calls.length;
    const res = await fetch(`${server.url}/v1/items`, { method: 'POST', body: 'x'.repeat(1025) });
    expect(res.status).toBe(413);
    expect((await res.json()).type).toMatch(/payload-too-large$/);
    expect(handler.mock.calls.length).toBe(calls);
  });

  it('accepts a body of exactly the cap', async () => {
    answer = { statusCode: 201, body: '' };
    const res = await fetch(`${server.url}/v1/items`, { method: 'POST', body: 'x'.repeat(1024) });
    expect(res.status).toBe(201);
  });

  it('answers a handler exception with a generic 500 and logs it', async () => {
    fail = true;
    try {
      const res = await fetch(`${server.url}/v1/items/a`);
      expect(res.status).toBe(500);
      const text = await res.text();
      expect(text).not.toContain('secret internals');
      expect(text).not.toContain('at ');
      expect(JSON.parse(text)).toMatchObject({ status: 500 });
      expect(log).toHaveBeenCalled();
    } finally {
      fail = false;
    }
  });

  it('refuses a busy port with a message naming it and PORT', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const attempt = createLocalServer({ handler, port });
      await expect(attempt).rejects.toThrow(PortInUseError);
      await expect(attempt).rejects.toThrow(`port ${port} is in use`);
      await expect(attempt).rejects.toThrow(/set PORT=/);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});
