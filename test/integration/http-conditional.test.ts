/**
 * RFC 9110 conditional requests and the input edges of the API, through real
 * HTTP against DynamoDB Local: evaluation order of If-Match, If-None-Match
 * and the date preconditions, Last-Modified, empty list elements, routes that
 * refuse preconditions, dot-segment ids, JSON Patch amplification, and leases
 * that expired.
 */
import { request as httpRequest } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config';
import { type Answer, authedSender, freshId, PROBLEM, problemType } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';

const collections = [{ name: 'items' }, { name: 'notes', requirePrecondition: false }];
let api: TestApi;
let strict: TestApi;
const call: ReturnType<typeof authedSender> = (...args) =>
  authedSender(api.baseUrl, api.headers)(...args);
const strictCall: ReturnType<typeof authedSender> = (...args) =>
  authedSender(strict.baseUrl, strict.headers)(...args);

beforeAll(async () => {
  [api, strict] = await Promise.all([
    startApi({ config: parseConfig({ collections }) }),
    startApi({ config: parseConfig({ profile: 'strict-http', collections }) }),
  ]);
});
afterAll(() => Promise.all([api.close(), strict.close()]));

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

const expectProblem = (answer: Answer, status: number, type: string) => {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toBe(PROBLEM);
  expect(answer.body).toMatchObject({ type: problemType(type), status });
};

const created = async (send = call, collection = 'items', doc: object = { n: 1 }) => {
  const id = freshId();
  const answer = await send('POST', `/v1/${collection}`, { body: { id, ...doc } });
  expect(answer.status).toBe(201);
  return { id, answer };
};

describe('dot-segment ids', () => {
  it.each(['.', '..'])('refuses to create the id %j, which no URL can carry', async (id) => {
    const answer = await call('POST', '/v1/items', { body: { id } });
    expectProblem(answer, 400, 'bad-request');
    expect(answer.body.detail).toMatch(/"\." or "\.\."/);
  });

  // fetch normalises dot segments away, so these go out through node:http as written.
  const rawRequest = (method: string, path: string, headers: Record<string, string>) =>
    new Promise<{ status: number; type: string; body: string }>((resolve, reject) => {
      const { hostname, port } = new URL(api.baseUrl);
      const request = httpRequest({ hostname, port, path, method, headers }, (response) => {
        let body = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          body += chunk;
        });
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            type: response.headers['content-type'] ?? '',
            body,
          }),
        );
      });
      request.on('error', reject);
      request.end(method === 'PUT' ? '{}' : undefined);
    });

  it.each(['%2e', '%2E%2e', '.', '..'])(
    'refuses the dot segment %s in a document path with 400',
    async (segment) => {
      for (const method of ['PUT', 'GET', 'DELETE']) {
        const answer = await rawRequest(method, `/v1/items/${segment}`, {
          ...api.headers,
          'content-type': 'application/json',
          'if-none-match': '*',
        });
        expect(answer.status).toBe(400);
        expect(answer.type).toBe(PROBLEM);
        expect(JSON.parse(answer.body).type).toBe(problemType('bad-request'));
      }
    },
  );

  it('still accepts ids that merely contain dots', async () => {
    for (const id of ['...', '.hidden', 'a..b', `${freshId()}.`]) {
      const answer = await call('POST', '/v1/items', { body: { id } });
      expect(answer.status).toBe(201);
    }
  });
});

describe('JSON Patch amplification', () => {
  it('answers 24 root copies with 413 at once and leaves the document as it was', async () => {
    const { id } = await created(call, 'items', { text: 'x'.repeat(1000) });
    const bomb = Array.from({ length: 24 }, (_, i) => ({ op: 'copy', from: '', path: `/x${i}` }));
    const answer = await call('PATCH', `/v1/items/${id}`, {
      raw: JSON.stringify(bomb),
      headers: { 'content-type': 'application/json-patch+json', 'if-match': '"1"' },
    });
    expectProblem(answer, 413, 'payload-too-large');
    const after = await call('GET', `/v1/items/${id}`);
    expect(after.headers.get('etag')).toBe('"1"');
    expect(Object.keys(after.body)).toEqual(['id', 'version', 'text']);
  });
});

describe('If-Match together with If-None-Match: *', () => {
  it('answers PUT with a matching If-Match and If-None-Match: * as a failed If-None-Match', async () => {
    const { id } = await created();
    const headers = { 'if-match': '"1"', 'if-none-match': '*' };
    const answer = await call('PUT', `/v1/items/${id}`, { body: { n: 2 }, headers });
    expectProblem(answer, 409, 'already-exists');
    expect(answer.body.current.version).toBe(1);
    const { id: strictId } = await created(strictCall);
    const strictAnswer = await strictCall('PUT', `/v1/items/${strictId}`, { body: {}, headers });
    expectProblem(strictAnswer, 412, 'already-exists');
  });

  it('blames a stale If-Match before If-None-Match: *', async () => {
    const { id } = await created();
    const headers = { 'if-match': '"7"', 'if-none-match': '*' };
    const answer = await call('PUT', `/v1/items/${id}`, { body: {}, headers });
    expectProblem(answer, 409, 'version-mismatch');
  });

  it.each(['PATCH', 'DELETE'])(
    'answers %s with If-None-Match: * on a live document as a failed precondition',
    async (method) => {
      const { id } = await created();
      const options = {
        ...(method === 'PATCH' ? { raw: '{"n":2}' } : {}),
        headers: { 'content-type': 'application/merge-patch+json', 'if-none-match': '*' },
      };
      expectProblem(await call(method, `/v1/items/${id}`, options), 409, 'already-exists');
      const { id: strictId } = await created(strictCall);
      const answer = await strictCall(method, `/v1/items/${strictId}`, options);
      expectProblem(answer, 412, 'already-exists');
      expect((await call('GET', `/v1/items/${id}`)).body.version).toBe(1);
      const missing = await call(method, `/v1/items/${freshId()}`, options);
      expectProblem(missing, 404, 'not-found');
    },
  );
});

describe('empty list elements', () => {
  it('ignores empty elements of an If-Match list', async () => {
    const { id } = await created();
    const answer = await call('PUT', `/v1/items/${id}`, {
      body: { n: 2 },
      headers: { 'if-match': '"9", , "1"' },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('etag')).toBe('"2"');
    const read = await call('GET', `/v1/items/${id}`, { headers: { 'if-none-match': ', "2",' } });
    expect(read.status).toBe(304);
  });
});

describe('routes without a version of their own', () => {
  it.each([
    ['POST', '/v1/items', { body: { n: 1 } }],
    ['GET', '/v1/items', {}],
  ])(
    'refuses preconditions on %s %s with 400 instead of ignoring them',
    async (method, path, options) => {
      for (const name of ['if-match', 'if-none-match', 'if-unmodified-since']) {
        const value = name === 'if-unmodified-since' ? new Date().toUTCString() : '*';
        const answer = await call(method, path, { ...options, headers: { [name]: value } });
        expectProblem(answer, 400, 'bad-request');
        expect(answer.body.detail).toContain(name);
      }
    },
  );

  it('refuses preconditions on the lease routes with 400', async () => {
    const { id } = await created();
    const acquire = await call('POST', `/v1/items/${id}/lock`, { headers: { 'if-match': '"1"' } });
    expectProblem(acquire, 400, 'bad-request');
    const granted = await call('POST', `/v1/items/${id}/lock`);
    expect(granted.status).toBe(200);
    const token = granted.body.lockToken as string;
    for (const method of ['PUT', 'DELETE']) {
      const answer = await call(method, `/v1/items/${id}/lock`, {
        headers: { 'lock-token': token, 'if-none-match': '*' },
      });
      expectProblem(answer, 400, 'bad-request');
    }
  });

  it('ignores If-Modified-Since on a listing, which has no modification date', async () => {
    const answer = await call('GET', '/v1/items?limit=1', {
      headers: { 'if-modified-since': new Date().toUTCString() },
    });
    expect(answer.status).toBe(200);
  });
});

describe('If-Match on a missing document', () => {
  it('answers 404 in the default profile and 412 in the strict one, for every method', async () => {
    for (const method of ['GET', 'PUT', 'PATCH', 'DELETE']) {
      const options = {
        ...(method === 'PUT' ? { body: { n: 1 } } : {}),
        ...(method === 'PATCH' ? { raw: '{"n":1}' } : {}),
        headers: {
          'if-match': '"1"',
          ...(method === 'PATCH' ? { 'content-type': 'application/merge-patch+json' } : {}),
        },
      };
      expectProblem(await call(method, `/v1/items/${freshId()}`, options), 404, 'not-found');
      const answer = await strictCall(method, `/v1/items/${freshId()}`, options);
      expect(answer.status).toBe(412);
      expect(answer.headers.get('content-type')).toBe(PROBLEM);
    }
  });
});

describe('Last-Modified and the date preconditions', () => {
  const httpDate = (ms: number) => new Date(ms).toUTCString();

  it('sends Last-Modified with documents, writes and 304s', async () => {
    const { id, answer } = await created();
    const modified = answer.headers.get('last-modified');
    expect(modified).toMatch(/^\w{3}, \d{2} \w{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/);
    const read = await call('GET', `/v1/items/${id}`);
    expect(read.headers.get('last-modified')).toBe(modified);
    const head = await call('HEAD', `/v1/items/${id}`);
    expect(head.headers.get('last-modified')).toBe(modified);
    const unchanged = await call('GET', `/v1/items/${id}`, { headers: { 'if-none-match': '"1"' } });
    expect(unchanged.status).toBe(304);
    expect(unchanged.headers.get('last-modified')).toBe(modified);
  });

  it('answers 304 to If-Modified-Since at or after Last-Modified, 200 before it', async () => {
    const { id, answer } = await created();
    const modified = Date.parse(answer.headers.get('last-modified') ?? '');
    const at = await call('GET', `/v1/items/${id}`, {
      headers: { 'if-modified-since': httpDate(modified) },
    });
    expect(at.status).toBe(304);
    const before = await call('GET', `/v1/items/${id}`, {
      headers: { 'if-modified-since': httpDate(modified - 1000) },
    });
    expect(before.status).toBe(200);
    const invalid = await call('GET', `/v1/items/${id}`, {
      headers: { 'if-modified-since': 'not a date' },
    });
    expect(invalid.status).toBe(200);
  });

  it('lets If-None-Match take precedence over If-Modified-Since', async () => {
    const { id, answer } = await created();
    const modified = answer.headers.get('last-modified') ?? '';
    const read = await call('GET', `/v1/items/${id}`, {
      headers: { 'if-none-match': '"9"', 'if-modified-since': modified },
    });
    expect(read.status).toBe(200);
  });

  it('writes under If-Unmodified-Since only when the document was not modified after it', async () => {
    const { id, answer } = await created(call, 'notes');
    const modified = Date.parse(answer.headers.get('last-modified') ?? '');
    const stale = await call('PUT', `/v1/notes/${id}`, {
      body: { n: 2 },
      headers: { 'if-unmodified-since': httpDate(modified - 1000) },
    });
    expectProblem(stale, 409, 'version-mismatch');
    expect(stale.body.current.version).toBe(1);
    const fresh = await call('PUT', `/v1/notes/${id}`, {
      body: { n: 2 },
      headers: { 'if-unmodified-since': httpDate(modified) },
    });
    expect(fresh.status).toBe(200);
    expect(fresh.body.version).toBe(2);
  });

  it('answers a failed If-Unmodified-Since with 412 in the strict profile', async () => {
    const { id, answer } = await created(strictCall, 'notes');
    const modified = Date.parse(answer.headers.get('last-modified') ?? '');
    const stale = await strictCall('DELETE', `/v1/notes/${id}`, {
      headers: { 'if-unmodified-since': httpDate(modified - 1000) },
    });
    expectProblem(stale, 412, 'version-mismatch');
  });

  it('ignores If-Unmodified-Since when If-Match is present, and when it is no date', async () => {
    const { id } = await created(call, 'notes');
    const withEtag = await call('PUT', `/v1/notes/${id}`, {
      body: { n: 2 },
      headers: { 'if-match': '"1"', 'if-unmodified-since': httpDate(0) },
    });
    expect(withEtag.status).toBe(200);
    const noDate = await call('PUT', `/v1/notes/${id}`, {
      body: { n: 3 },
      headers: { 'if-unmodified-since': 'yesterday' },
    });
    expect(noDate.status).toBe(200);
  });

  it('does not count If-Unmodified-Since as the precondition a collection requires', async () => {
    const { id } = await created();
    const answer = await call('PUT', `/v1/items/${id}`, {
      body: {},
      headers: { 'if-unmodified-since': new Date(Date.now() + 60_000).toUTCString() },
    });
    expectProblem(answer, 428, 'precondition-required');
  });
});

describe('expired leases', () => {
  it('refuses to renew a lease that expired, even when nobody took it over', async () => {
    const { id } = await created();
    const granted = await call('POST', `/v1/items/${id}/lock`, { body: { ttlSeconds: 1 } });
    expect(granted.status).toBe(200);
    await sleep(1_200);
    const renewed = await call('PUT', `/v1/items/${id}/lock`, {
      headers: { 'lock-token': granted.body.lockToken },
    });
    expectProblem(renewed, 409, 'lock-lost');
    const again = await call('POST', `/v1/items/${id}/lock`);
    expect(again.status).toBe(200);
    expect(again.body.fencingToken).toBeGreaterThan(granted.body.fencingToken);
  });
});
