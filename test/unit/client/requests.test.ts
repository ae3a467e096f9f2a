import { describe, expect, it } from 'vitest';
import { ConcordClient } from '../../../client/index';
import { doc, type FakeServer, fakeServer, json, UUID } from './fake-server';

function clientFor(server: FakeServer, apiKey?: string) {
  return new ConcordClient({ baseUrl: 'https://api.test/base/', apiKey, fetch: server.fetch });
}

describe('requests and results', () => {
  it('creates with POST, JSON body, bearer key and idempotency key; returns version, etag and location', async () => {
    const server = fakeServer(
      doc(201, { id: 'n1', name: 'x', version: 1 }, { location: '/v1/items/n1' }),
    );
    const result = await clientFor(server, 'secret').create('items', { id: 'n1', name: 'x' });
    const [request] = server.seen;
    expect(request?.method).toBe('POST');
    expect(request?.url).toBe('https://api.test/base/v1/items');
    expect(request?.headers).toMatchObject({
      authorization: 'Bearer secret',
      'content-type': 'application/json',
      accept: 'application/json, application/problem+json',
    });
    expect(request?.headers['idempotency-key']).toMatch(UUID);
    expect(JSON.parse(request?.body ?? '')).toEqual({ id: 'n1', name: 'x' });
    expect(result).toEqual({
      id: 'n1',
      version: 1,
      etag: '"1"',
      document: { id: 'n1', name: 'x', version: 1 },
      status: 201,
      created: true,
      location: '/v1/items/n1',
      replayed: false,
    });
  });

  it('sends no Authorization header without an api key', async () => {
    const server = fakeServer(doc(200, { id: 'a', version: 3 }));
    await clientFor(server).get('items', 'a');
    expect(server.seen[0]?.headers.authorization).toBeUndefined();
  });

  it('reports a replayed idempotent answer', async () => {
    const server = fakeServer(doc(201, { id: 'a', version: 1 }, { 'idempotent-replayed': 'true' }));
    const result = await clientFor(server).create('items', {}, { idempotencyKey: 'k' });
    expect(result.replayed).toBe(true);
    expect(server.seen[0]?.headers['idempotency-key']).toBe('k');
  });

  it('gets a document with its ETag, encoding the path', async () => {
    const server = fakeServer(doc(200, { id: 'a/b c', n: 1, version: 3 }));
    const result = await clientFor(server).get('items', 'a/b c');
    expect(server.seen[0]?.url).toBe('https://api.test/base/v1/items/a%2Fb%20c');
    expect(result).toEqual({
      id: 'a/b c',
      version: 3,
      etag: '"3"',
      document: { id: 'a/b c', n: 1, version: 3 },
    });
  });

  it('resolves undefined on 304 and sends If-None-Match quoted', async () => {
    const server = fakeServer(new Response(null, { status: 304, headers: { etag: '"3"' } }));
    const result = await clientFor(server).get('items', 'a', { ifNoneMatch: 3 });
    expect(result).toBeUndefined();
    expect(server.seen[0]?.headers['if-none-match']).toBe('"3"');
  });

  it('replaces with If-Match, or creates only with If-None-Match: *, without idempotency keys', async () => {
    const server = fakeServer(
      doc(200, { id: 'a', n: 2, version: 4 }),
      doc(201, { id: 'b', n: 1, version: 1 }, { location: '/v1/items/b' }),
    );
    const client = clientFor(server);
    const replaced = await client.replace('items', 'a', { n: 2 }, { ifMatch: '3' });
    const created = await client.replace('items', 'b', { n: 1 }, { ifNoneMatch: '*' });
    expect(server.calls()).toEqual(['PUT /base/v1/items/a', 'PUT /base/v1/items/b']);
    expect(server.seen[0]?.headers).toMatchObject({
      'if-match': '"3"',
      'content-type': 'application/json',
    });
    expect(server.seen[0]?.headers['if-none-match']).toBeUndefined();
    expect(server.seen[1]?.headers['if-none-match']).toBe('*');
    expect(server.seen.map((r) => r.headers['idempotency-key'])).toEqual([undefined, undefined]);
    expect(replaced).toMatchObject({ status: 200, created: false, version: 4, etag: '"4"' });
    expect(created).toMatchObject({ status: 201, created: true, location: '/v1/items/b' });
  });

  it('sends merge patches and JSON patches with their media types', async () => {
    const server = fakeServer(doc(200, { id: 'a', version: 5 }), doc(200, { id: 'a', version: 6 }));
    const client = clientFor(server);
    await client.mergePatch('items', 'a', { gone: null, n: 1 }, { ifMatch: '"4"' });
    await client.jsonPatch('items', 'a', [{ op: 'test', path: '/n', value: 1 }], { ifMatch: 5 });
    expect(
      server.seen.map((r) => [r.method, r.headers['content-type'], r.headers['if-match']]),
    ).toEqual([
      ['PATCH', 'application/merge-patch+json', '"4"'],
      ['PATCH', 'application/json-patch+json', '"5"'],
    ]);
    expect(JSON.parse(server.seen[0]?.body ?? '')).toEqual({ gone: null, n: 1 });
    expect(JSON.parse(server.seen[1]?.body ?? '')).toEqual([{ op: 'test', path: '/n', value: 1 }]);
    expect(server.seen[0]?.headers['idempotency-key']).toMatch(UUID);
  });

  it('deletes with If-Match and no body', async () => {
    const server = fakeServer(new Response(null, { status: 204 }));
    await expect(clientFor(server).delete('items', 'a', { ifMatch: 6 })).resolves.toBeUndefined();
    expect(server.seen[0]).toMatchObject({ method: 'DELETE', body: undefined });
    expect(server.seen[0]?.headers['if-match']).toBe('"6"');
  });

  it('lists one page with limit and cursor', async () => {
    const server = fakeServer(json(200, { items: [{ id: 'a', version: 2 }], nextCursor: 'c2' }));
    const page = await clientFor(server).list('items', { limit: 1, cursor: 'c1' });
    expect(server.seen[0]?.url).toBe('https://api.test/base/v1/items?limit=1&cursor=c1');
    expect(page).toEqual({
      items: [{ id: 'a', version: 2, etag: '"2"', document: { id: 'a', version: 2 } }],
      nextCursor: 'c2',
    });
  });

  it('iterates every page lazily, following nextCursor until null', async () => {
    const server = fakeServer(
      json(200, {
        items: [
          { id: 'a', version: 1 },
          { id: 'b', version: 1 },
        ],
        nextCursor: 'p2',
      }),
      json(200, { items: [{ id: 'c', version: 7 }], nextCursor: null }),
    );
    const ids: string[] = [];
    for await (const item of clientFor(server).listAll('items', { limit: 2 })) ids.push(item.id);
    expect(ids).toEqual(['a', 'b', 'c']);
    expect(server.seen.map((r) => new URL(r.url).search)).toEqual([
      '?limit=2',
      '?limit=2&cursor=p2',
    ]);
  });

  it('lists a page of versions with limit and cursor, and every page lazily', async () => {
    const entry = (version: number, deleted = false) => ({
      version,
      etag: `"${version}"`,
      operation: deleted ? 'delete' : 'replace',
      time: '2026-01-01T00:00:00.000Z',
      keyId: version === 1 ? null : 'k1',
      deleted,
    });
    const server = fakeServer(
      json(200, { items: [entry(3, true), entry(2)], nextCursor: 'v2' }),
      json(200, { items: [entry(1)], nextCursor: null }),
      json(200, { items: [entry(3, true)], nextCursor: null }),
    );
    const client = clientFor(server);
    const versions: number[] = [];
    for await (const v of client.allVersions('items', 'a/b', { limit: 2 }))
      versions.push(v.version);
    expect(versions).toEqual([3, 2, 1]);
    expect(server.seen.map((r) => r.url)).toEqual([
      'https://api.test/base/v1/items/a%2Fb/versions?limit=2',
      'https://api.test/base/v1/items/a%2Fb/versions?limit=2&cursor=v2',
    ]);
    await expect(client.versions('items', 'a/b', { cursor: 'x' })).resolves.toEqual({
      items: [entry(3, true)],
      nextCursor: null,
    });
    expect(server.seen[2]?.url).toBe('https://api.test/base/v1/items/a%2Fb/versions?cursor=x');
  });

  it('rejects a versions page whose entries are not versions', async () => {
    const server = fakeServer(json(200, { items: [{ id: 'a', version: 2 }], nextCursor: null }));
    await expect(clientFor(server).versions('items', 'a')).rejects.toMatchObject({
      code: 'invalid-response',
    });
  });

  it('reads one version with its ETag', async () => {
    const server = fakeServer(doc(200, { id: 'a', version: 2, n: 1 }));
    const result = await clientFor(server).version('items', 'a', 2);
    expect(server.seen[0]).toMatchObject({
      method: 'GET',
      url: 'https://api.test/base/v1/items/a/versions/2',
    });
    expect(result).toEqual({
      id: 'a',
      version: 2,
      etag: '"2"',
      document: { id: 'a', version: 2, n: 1 },
    });
  });

  it('restores with POST, the precondition, a lock token and a generated idempotency key', async () => {
    const server = fakeServer(
      doc(200, { id: 'a', version: 6, n: 1 }),
      doc(201, { id: 'a', version: 8, n: 1 }, { location: '/v1/items/a' }),
    );
    const client = clientFor(server);
    const restored = await client.restore('items', 'a', 2, { ifMatch: 5, lockToken: 'lt' });
    expect(server.seen[0]).toMatchObject({
      method: 'POST',
      url: 'https://api.test/base/v1/items/a/versions/2/restore',
      body: undefined,
    });
    expect(server.seen[0]?.headers).toMatchObject({ 'if-match': '"5"', 'lock-token': 'lt' });
    expect(server.seen[0]?.headers['idempotency-key']).toMatch(UUID);
    expect(restored).toMatchObject({ version: 6, etag: '"6"', status: 200, created: false });

    const revived = await client.restore('items', 'a', 2, {
      ifNoneMatch: '*',
      idempotencyKey: false,
    });
    expect(server.seen[1]?.headers['if-none-match']).toBe('*');
    expect(server.seen[1]?.headers['if-match']).toBeUndefined();
    expect(server.seen[1]?.headers['idempotency-key']).toBeUndefined();
    expect(revived).toMatchObject({ version: 8, created: true, location: '/v1/items/a' });
  });

  it('rejects a 2xx body that is not a document', async () => {
    const server = fakeServer(new Response('<html/>', { status: 200 }));
    await expect(clientFor(server).get('items', 'a')).rejects.toMatchObject({
      code: 'invalid-response',
    });
  });
});
