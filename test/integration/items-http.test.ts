import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config';
import { type Answer, authedSender, freshId, PROBLEM, problemType } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';

let api: TestApi;
const call: ReturnType<typeof authedSender> = (...args) =>
  authedSender(api.baseUrl, api.headers)(...args);

const create = async (doc: Record<string, unknown> = {}) => {
  const id = freshId();
  const answer = await call('POST', '/v1/items', { body: { id, ...doc } });
  expect(answer.status).toBe(201);
  return id;
};

const expectProblem = (answer: Answer, status: number, type: string) => {
  expect(answer.status).toBe(status);
  expect(answer.headers.get('content-type')).toBe(PROBLEM);
  expect(answer.body).toMatchObject({
    type: problemType(type),
    status,
    retryable: expect.any(Boolean),
  });
  expect(JSON.stringify(answer.body)).not.toMatch(/stack|Exception|dynamodb/i);
};

beforeAll(async () => {
  api = await startApi({
    config: parseConfig({
      collections: [
        { name: 'items' },
        { name: 'notes', requirePrecondition: false },
        {
          name: 'people',
          schema: {
            type: 'object',
            required: ['name'],
            properties: { name: { type: 'string' }, age: { type: 'integer', minimum: 0 } },
          },
        },
      ],
    }),
  });
});
afterAll(() => api.close());

describe('creating', () => {
  it('answers 201 with Location, ETag "1" and the representation', async () => {
    const id = freshId();
    const answer = await call('POST', '/v1/items', { body: { id, title: 'hello' } });
    expect(answer.status).toBe(201);
    expect(answer.headers.get('location')).toBe(`/v1/items/${id}`);
    expect(answer.headers.get('etag')).toBe('"1"');
    expect(answer.body).toEqual({ id, version: 1, title: 'hello' });
  });

  it('makes a ULID when the body has no id', async () => {
    const answer = await call('POST', '/v1/items', { body: { title: 'anonymous' } });
    expect(answer.status).toBe(201);
    expect(answer.body.id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(answer.headers.get('location')).toBe(`/v1/items/${answer.body.id}`);
  });

  it('answers 409 already-exists with Location, the current ETag and document', async () => {
    const id = await create({ title: 'first' });
    const answer = await call('POST', '/v1/items', { body: { id, title: 'second' } });
    expectProblem(answer, 409, 'already-exists');
    expect(answer.headers.get('location')).toBe(`/v1/items/${id}`);
    expect(answer.headers.get('etag')).toBe('"1"');
    expect(answer.body.current).toEqual({
      version: 1,
      etag: '"1"',
      document: { id, version: 1, title: 'first' },
    });
    expect((await call('GET', `/v1/items/${id}`)).body.title).toBe('first');
  });

  it('creates only with PUT If-None-Match: *', async () => {
    const id = freshId();
    const headers = { 'if-none-match': '*' };
    const first = await call('PUT', `/v1/items/${id}`, { body: { n: 1 }, headers });
    expect(first.status).toBe(201);
    expect(first.headers.get('location')).toBe(`/v1/items/${id}`);
    const again = await call('PUT', `/v1/items/${id}`, { body: { n: 2 }, headers });
    expectProblem(again, 409, 'already-exists');
  });
});

describe('replacing', () => {
  it('replaces the version If-Match names and increments the version', async () => {
    const id = await create({ n: 1 });
    const answer = await call('PUT', `/v1/items/${id}`, {
      body: { n: 2 },
      headers: { 'if-match': '"1"' },
    });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('etag')).toBe('"2"');
    expect(answer.body).toEqual({ id, version: 2, n: 2 });
  });

  it('answers 409 with the current ETag and document when If-Match is stale', async () => {
    const id = await create({ n: 1 });
    await call('PUT', `/v1/items/${id}`, { body: { n: 2 }, headers: { 'if-match': '"1"' } });
    const stale = await call('PUT', `/v1/items/${id}`, {
      body: { n: 3 },
      headers: { 'if-match': '"1"' },
    });
    expectProblem(stale, 409, 'version-mismatch');
    expect(stale.body.current).toEqual({
      version: 2,
      etag: '"2"',
      document: { id, version: 2, n: 2 },
    });
  });

  it('treats a body version like If-Match', async () => {
    const id = await create({ n: 1 });
    const stale = await call('PUT', `/v1/items/${id}`, { body: { n: 3, version: 7 } });
    expectProblem(stale, 409, 'version-mismatch');
    const fresh = await call('PUT', `/v1/items/${id}`, { body: { n: 3, version: 1 } });
    expect(fresh.status).toBe(200);
  });

  it('answers 428 when a write has no precondition', async () => {
    const id = await create();
    for (const method of ['PUT', 'PATCH', 'DELETE']) {
      const answer = await call(method, `/v1/items/${id}`, {
        ...(method === 'DELETE' ? {} : { raw: '{"n":1}' }),
        headers: method === 'PATCH' ? { 'content-type': 'application/merge-patch+json' } : {},
      });
      expectProblem(answer, 428, 'precondition-required');
    }
    expect((await call('GET', `/v1/items/${id}`)).body.version).toBe(1);
  });

  it('lets a collection that opted out upsert without a precondition', async () => {
    const id = freshId();
    const created = await call('PUT', `/v1/notes/${id}`, { body: { n: 1 } });
    expect(created.status).toBe(201);
    const replaced = await call('PUT', `/v1/notes/${id}`, { body: { n: 2 } });
    expect(replaced.status).toBe(200);
    expect(replaced.body.version).toBe(2);
  });

  it('answers 404, not 409, when the document does not exist', async () => {
    const answer = await call('PUT', `/v1/items/${freshId()}`, {
      body: {},
      headers: { 'if-match': '"1"' },
    });
    expectProblem(answer, 404, 'not-found');
  });

  it('answers 400 when the body id differs from the path', async () => {
    const id = await create();
    const answer = await call('PUT', `/v1/items/${id}`, {
      body: { id: 'other' },
      headers: { 'if-match': '"1"' },
    });
    expectProblem(answer, 400, 'bad-request');
  });
});

describe('reading', () => {
  it('answers 304 with the ETag when If-None-Match matches, and 200 otherwise', async () => {
    const id = await create({ n: 1 });
    const same = await call('GET', `/v1/items/${id}`, { headers: { 'if-none-match': '"1"' } });
    expect(same.status).toBe(304);
    expect(same.headers.get('etag')).toBe('"1"');
    expect(same.body).toBe('');
    const weak = await call('GET', `/v1/items/${id}`, { headers: { 'if-none-match': 'W/"1"' } });
    expect(weak.status).toBe(304);
    const other = await call('GET', `/v1/items/${id}`, {
      headers: { 'if-none-match': '"0", "9"' },
    });
    expect(other.status).toBe(200);
    expect(other.body).toEqual({ id, version: 1, n: 1 });
  });

  it('honours If-Match on GET', async () => {
    const id = await create();
    expect((await call('GET', `/v1/items/${id}`, { headers: { 'if-match': '"1"' } })).status).toBe(
      200,
    );
    const stale = await call('GET', `/v1/items/${id}`, { headers: { 'if-match': '"2"' } });
    expectProblem(stale, 409, 'version-mismatch');
  });

  it('answers HEAD with the headers of GET and no body', async () => {
    const id = await create({ n: 1 });
    const answer = await call('HEAD', `/v1/items/${id}`);
    expect(answer.status).toBe(200);
    expect(answer.headers.get('etag')).toBe('"1"');
    expect(answer.body).toBe('');
  });

  it('answers 404 for a missing document and an unknown collection', async () => {
    expectProblem(await call('GET', `/v1/items/${freshId()}`), 404, 'not-found');
    expectProblem(await call('GET', '/v1/unknown/x'), 404, 'not-found');
    expectProblem(await call('POST', '/v1/unknown', { body: {} }), 404, 'not-found');
  });

  it('pages through live documents in id order with an opaque cursor', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 5; i++) ids.add(await create({ i }));
    const gone = await create();
    await call('DELETE', `/v1/items/${gone}`, { headers: { 'if-match': '"1"' } });
    let cursor: string | null = null;
    let all: string[] = [];
    do {
      const query: string = cursor ? `&cursor=${encodeURIComponent(cursor)}` : '';
      const page = await call('GET', `/v1/items?limit=2${query}`);
      expect(page.body.items.length).toBeLessThanOrEqual(2);
      all = all.concat(page.body.items.map((d: { id: string }) => d.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    for (const id of ids) expect(all).toContain(id);
    expect(all).not.toContain(gone);
    expect(new Set(all).size).toBe(all.length);
    expect([...all].sort()).toEqual(all);
  });

  it('answers 400 for a bad limit or a cursor it did not make', async () => {
    expectProblem(await call('GET', '/v1/items?limit=0'), 400, 'bad-request');
    expectProblem(await call('GET', '/v1/items?limit=abc'), 400, 'bad-request');
    expectProblem(await call('GET', '/v1/items?cursor=bm9wZQ'), 400, 'bad-request');
  });
});

describe('patching', () => {
  it('applies a merge patch to the version If-Match names', async () => {
    const id = await create({ a: 1, b: { c: 2, d: 3 } });
    const answer = await call('PATCH', `/v1/items/${id}`, {
      raw: JSON.stringify({ a: null, b: { c: 20 }, e: [1] }),
      headers: { 'content-type': 'application/merge-patch+json', 'if-match': '"1"' },
    });
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ id, version: 2, b: { c: 20, d: 3 }, e: [1] });
    expect(answer.headers.get('etag')).toBe('"2"');
  });

  it('takes the version from a merge patch body the way Kubernetes uses resourceVersion', async () => {
    const id = await create({ a: 1 });
    const headers = { 'content-type': 'application/merge-patch+json' };
    const ok = await call('PATCH', `/v1/items/${id}`, { raw: '{"version":1,"a":2}', headers });
    expect(ok.body).toEqual({ id, version: 2, a: 2 });
    const stale = await call('PATCH', `/v1/items/${id}`, { raw: '{"version":1,"a":3}', headers });
    expectProblem(stale, 409, 'version-mismatch');
    expect(stale.body.current.document).toEqual({ id, version: 2, a: 2 });
  });

  it('applies a JSON Patch, test operations included', async () => {
    const id = await create({ tags: ['a'] });
    const headers = { 'content-type': 'application/json-patch+json', 'if-match': '"1"' };
    const answer = await call('PATCH', `/v1/items/${id}`, {
      raw: JSON.stringify([
        { op: 'test', path: '/tags/0', value: 'a' },
        { op: 'add', path: '/tags/-', value: 'b' },
      ]),
      headers,
    });
    expect(answer.status).toBe(200);
    expect(answer.body.tags).toEqual(['a', 'b']);
  });

  it('answers 409 patch-test-failed with the current document when a test fails', async () => {
    const id = await create({ n: 1 });
    const answer = await call('PATCH', `/v1/items/${id}`, {
      raw: JSON.stringify([{ op: 'test', path: '/n', value: 2 }]),
      headers: { 'content-type': 'application/json-patch+json', 'if-match': '"1"' },
    });
    expectProblem(answer, 409, 'patch-test-failed');
    expect(answer.body.current.document).toEqual({ id, version: 1, n: 1 });
    expect(answer.body.pointer).toBe('/n');
  });

  it('refuses malformed or inapplicable JSON Patches with a 4xx', async () => {
    const id = await create({ n: 1 });
    const headers = { 'content-type': 'application/json-patch+json', 'if-match': '"1"' };
    const patch = (ops: unknown) =>
      call('PATCH', `/v1/items/${id}`, { raw: JSON.stringify(ops), headers });
    expectProblem(await patch([{ op: 'explode', path: '/n' }]), 400, 'bad-request');
    expectProblem(await patch({ op: 'add' }), 400, 'bad-request');
    expectProblem(await patch([{ op: 'remove', path: '/missing' }]), 422, 'validation-failed');
    expectProblem(
      await patch([{ op: 'add', path: '/__proto__/x', value: 1 }]),
      422,
      'validation-failed',
    );
    expectProblem(
      await patch([{ op: 'replace', path: '/version', value: 9 }]),
      422,
      'validation-failed',
    );
    expect((await call('GET', `/v1/items/${id}`)).body).toEqual({ id, version: 1, n: 1 });
  });

  it('answers 415 for PATCH with plain JSON', async () => {
    const id = await create();
    const answer = await call('PATCH', `/v1/items/${id}`, {
      raw: '{}',
      headers: { 'if-match': '"1"' },
    });
    expectProblem(answer, 415, 'unsupported-media-type');
    expect(answer.body.accepted).toEqual([
      'application/merge-patch+json',
      'application/json-patch+json',
    ]);
  });
});

describe('deleting', () => {
  it('deletes the version If-Match names, and a stale one gets 409', async () => {
    const id = await create();
    await call('PUT', `/v1/items/${id}`, { body: { n: 2 }, headers: { 'if-match': '"1"' } });
    expectProblem(
      await call('DELETE', `/v1/items/${id}`, { headers: { 'if-match': '"1"' } }),
      409,
      'version-mismatch',
    );
    expect(
      (await call('DELETE', `/v1/items/${id}`, { headers: { 'if-match': '"2"' } })).status,
    ).toBe(204);
    expectProblem(await call('GET', `/v1/items/${id}`), 404, 'not-found');
    expectProblem(
      await call('DELETE', `/v1/items/${id}`, { headers: { 'if-match': '*' } }),
      404,
      'not-found',
    );
  });

  it('continues the version after a delete, so an old ETag never matches a new document', async () => {
    const id = await create();
    await call('DELETE', `/v1/items/${id}`, { headers: { 'if-match': '"1"' } });
    const again = await call('PUT', `/v1/items/${id}`, {
      body: { reborn: true },
      headers: { 'if-none-match': '*' },
    });
    expect(again.status).toBe(201);
    expect(again.body.version).toBe(3);
    const old = await call('PUT', `/v1/items/${id}`, { body: {}, headers: { 'if-match': '"1"' } });
    expectProblem(old, 409, 'version-mismatch');
  });
});

describe('bad input', () => {
  it('answers 400 for malformed JSON, ids and ETags', async () => {
    expectProblem(await call('POST', '/v1/items', { raw: '{"a":' }), 400, 'bad-request');
    expectProblem(await call('POST', '/v1/items', { raw: '' }), 400, 'bad-request');
    expectProblem(
      await call('POST', '/v1/items', { body: { id: 'has space' } }),
      400,
      'bad-request',
    );
    expectProblem(
      await call('POST', '/v1/items', { body: { id: 'x'.repeat(129) } }),
      400,
      'bad-request',
    );
    expectProblem(await call('GET', '/v1/items/%23hash'), 400, 'bad-request');
    const id = await create();
    for (const tag of ['1', '"1', 'W/1', '"a" "b"', '"1",,,x']) {
      expectProblem(
        await call('PUT', `/v1/items/${id}`, { body: {}, headers: { 'if-match': tag } }),
        400,
        'bad-request',
      );
    }
  });

  it('answers 415 for a wrong or missing content type', async () => {
    expectProblem(
      await call('POST', '/v1/items', { raw: '{}', headers: { 'content-type': 'text/plain' } }),
      415,
      'unsupported-media-type',
    );
    expectProblem(
      await call('POST', '/v1/items', {
        raw: '{}',
        headers: { 'content-type': 'application/json; charset=latin1' },
      }),
      415,
      'unsupported-media-type',
    );
  });

  it('answers 413 for a body too large for one item', async () => {
    const answer = await call('POST', '/v1/items', { body: { blob: 'x'.repeat(420_000) } });
    expectProblem(answer, 413, 'payload-too-large');
    const stored = await call('POST', '/v1/items', { body: { blob: '\u00e9'.repeat(190_000) } });
    expectProblem(stored, 413, 'payload-too-large');
  });

  it('answers 422 for documents that are not objects, too deep or not finite', async () => {
    expectProblem(await call('POST', '/v1/items', { raw: '[1,2]' }), 422, 'validation-failed');
    expectProblem(await call('POST', '/v1/items', { raw: '"text"' }), 422, 'validation-failed');
    const deep = `{"a":${'['.repeat(5000)}${']'.repeat(5000)}}`;
    const tooDeep = await call('POST', '/v1/items', { raw: deep });
    expectProblem(tooDeep, 422, 'validation-failed');
    expectProblem(
      await call('POST', '/v1/items', { raw: '{"n":1e400}' }),
      422,
      'validation-failed',
    );
  });

  it('answers 422 with JSON Pointers when the collection schema fails', async () => {
    const answer = await call('POST', '/v1/people', { body: { age: -1 } });
    expectProblem(answer, 422, 'validation-failed');
    const pointers = answer.body.errors.map((e: { pointer: string }) => e.pointer).sort();
    expect(pointers).toEqual(['/age', '/name']);
    const id = freshId();
    expect((await call('POST', '/v1/people', { body: { id, name: 'Ada' } })).status).toBe(201);
    const patched = await call('PATCH', `/v1/people/${id}`, {
      raw: '{"name":null}',
      headers: { 'content-type': 'application/merge-patch+json', 'if-match': '"1"' },
    });
    expectProblem(patched, 422, 'validation-failed');
  });

  it('answers 404 for unknown paths and 405 for unknown methods on known ones', async () => {
    expectProblem(await call('GET', '/nowhere'), 404, 'not-found');
    const answer = await call('POST', '/v1/items/abc');
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toContain('PUT');
  });
});

describe('CORS', () => {
  it('exposes the conflict headers to browsers and allows the precondition headers', async () => {
    const id = await create();
    const answer = await call('GET', `/v1/items/${id}`, {
      headers: { origin: 'https://app.example' },
    });
    const expose = answer.headers.get('access-control-expose-headers') ?? '';
    for (const name of ['ETag', 'Location', 'Retry-After', 'Idempotent-Replayed']) {
      expect(expose).toContain(name);
    }
    const preflight = await fetch(`${api.baseUrl}/v1/items/${id}`, {
      method: 'OPTIONS',
      headers: { origin: 'https://app.example', 'access-control-request-method': 'PUT' },
    });
    expect(preflight.status).toBe(204);
    const allow = preflight.headers.get('access-control-allow-headers') ?? '';
    for (const name of ['If-Match', 'If-None-Match', 'Idempotency-Key', 'Lock-Token']) {
      expect(allow).toContain(name);
    }
  });
});
