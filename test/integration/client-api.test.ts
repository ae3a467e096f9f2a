/**
 * The client against the real server: every method's round trip and the
 * typed error each real problem answer becomes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ConcordClient,
  ConflictError,
  NotFoundError,
  PreconditionRequiredError,
  ValidationError,
} from '../../client/index';
import { parseConfig } from '../../functions/core/config';
import { freshId, send } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';

interface Note {
  title: string;
  tags?: string[];
  body?: string | null;
}

let api: TestApi;
let client: ConcordClient;

beforeAll(async () => {
  api = await startApi({
    config: parseConfig({
      collections: [
        { name: 'items' },
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
  client = new ConcordClient({ baseUrl: api.baseUrl, apiKey: api.apiKey });
});
afterAll(() => api.close());

describe('round trips', () => {
  it('creates, reads, replaces, patches both ways and deletes one document', async () => {
    const id = freshId();
    const made = await client.create<Note>('items', { id, title: 'a', body: 'x' });
    expect(made).toMatchObject({ id, version: 1, etag: '"1"', created: true, status: 201 });
    expect(made.location).toBe(`/v1/items/${id}`);
    expect(made.document).toEqual({ id, version: 1, title: 'a', body: 'x' });

    const read = await client.get<Note>('items', id);
    expect(read).toMatchObject({ id, version: 1, etag: '"1"' });
    expect(read.document.title).toBe('a');

    const replaced = await client.replace<Note>(
      'items',
      id,
      { title: 'b' },
      { ifMatch: read.etag },
    );
    expect(replaced).toMatchObject({ version: 2, etag: '"2"', created: false, status: 200 });
    expect(replaced.document).toEqual({ id, version: 2, title: 'b' });

    const merged = await client.mergePatch<Note>(
      'items',
      id,
      { tags: ['x'], body: null },
      { ifMatch: replaced.etag },
    );
    expect(merged.document).toEqual({ id, version: 3, title: 'b', tags: ['x'] });

    const patched = await client.jsonPatch<Note>(
      'items',
      id,
      [
        { op: 'test', path: '/title', value: 'b' },
        { op: 'add', path: '/tags/-', value: 'y' },
      ],
      { ifMatch: 3 },
    );
    expect(patched.document).toEqual({ id, version: 4, title: 'b', tags: ['x', 'y'] });

    await client.delete('items', id, { ifMatch: patched.etag });
    await expect(client.get('items', id)).rejects.toBeInstanceOf(NotFoundError);
  });

  it('creates only when absent with replace({ ifNoneMatch: "*" })', async () => {
    const id = freshId();
    const made = await client.replace<Note>('items', id, { title: 'new' }, { ifNoneMatch: '*' });
    expect(made).toMatchObject({ id, version: 1, created: true, status: 201 });
    const again = client.replace<Note>('items', id, { title: 'again' }, { ifNoneMatch: '*' });
    await expect(again).rejects.toBeInstanceOf(ConflictError);
  });

  it('resolves undefined for a conditional read of the current ETag, the document otherwise', async () => {
    const id = freshId();
    const made = await client.create<Note>('items', { id, title: 'cached' });
    expect(await client.get('items', id, { ifNoneMatch: made.etag })).toBeUndefined();
    expect(await client.get('items', id, { ifNoneMatch: 1 })).toBeUndefined();
    const stale = await client.get<Note>('items', id, { ifNoneMatch: '"0"' });
    expect(stale?.document.title).toBe('cached');
  });

  it('pages through a collection with list() and listAll()', async () => {
    const people = Array.from({ length: 5 }, (_, i) => ({ id: freshId(), name: `p${i}` }));
    for (const person of people) await client.create('people', person);
    const ids = new Set(people.map((p) => p.id));

    const first = await client.list('people', { limit: 2 });
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));

    const all: string[] = [];
    for await (const doc of client.listAll('people', { limit: 2 })) all.push(doc.id);
    expect(new Set(all).size).toBe(all.length);
    expect(all.filter((id) => ids.has(id)).sort()).toEqual([...ids].sort());
  });
});

describe('typed errors from real answers', () => {
  it('exposes the current document, version and ETag of a real 409 version-mismatch', async () => {
    const id = freshId();
    await client.create<Note>('items', { id, title: 'first' });
    await client.replace<Note>('items', id, { title: 'winner' }, { ifMatch: 1 });

    const error = await client
      .replace<Note>('items', id, { title: 'loser' }, { ifMatch: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    const conflict = error as ConflictError<Note>;
    expect(conflict).toMatchObject({ status: 409, code: 'version-mismatch', retryable: false });
    expect(conflict.current).toMatchObject({ id, version: 2, etag: '"2"' });
    expect(conflict.current?.document).toEqual({ id, version: 2, title: 'winner' });
  });

  it('gives a ConflictError already-exists with the existing document on a second create', async () => {
    const id = freshId();
    await client.create<Note>('items', { id, title: 'original' });
    const error = await client.create<Note>('items', { id, title: 'copy' }).catch((e) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ status: 409, code: 'already-exists' });
    expect((error as ConflictError<Note>).current?.document.title).toBe('original');
  });

  it('gives a ConflictError patch-test-failed naming the failed test', async () => {
    const id = freshId();
    await client.create<Note>('items', { id, title: 'a' });
    const error = await client
      .jsonPatch('items', id, [{ op: 'test', path: '/title', value: 'z' }], { ifMatch: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(error).toMatchObject({ status: 409, code: 'patch-test-failed' });
  });

  it('gives NotFoundError for a missing document and an unknown collection', async () => {
    const missing = await client.get('items', freshId()).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(NotFoundError);
    expect(missing).toMatchObject({ status: 404, code: 'not-found' });
    const unknown = await client.list('no-such-collection').catch((e: unknown) => e);
    expect(unknown).toBeInstanceOf(NotFoundError);
  });

  it('gives PreconditionRequiredError when a write reaches the server without If-Match', async () => {
    const id = freshId();
    await client.create<Note>('items', { id, title: 'guarded' });

    const raw = await send(api.baseUrl, 'PUT', `/v1/items/${id}`, {
      body: { title: 'blind' },
      headers: api.headers,
    });
    expect(raw.status).toBe(428);

    // The client never omits If-Match itself, so a proxy that drops it is simulated.
    const stripping = new ConcordClient({
      baseUrl: api.baseUrl,
      apiKey: api.apiKey,
      fetch: (input, init) => {
        const headers = new Headers(init.headers);
        headers.delete('if-match');
        return fetch(input, { ...init, headers });
      },
    });
    const error = await stripping
      .replace<Note>('items', id, { title: 'blind' }, { ifMatch: 1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PreconditionRequiredError);
    expect(error).toMatchObject({ status: 428, code: 'precondition-required' });
    expect((await client.get<Note>('items', id)).document.title).toBe('guarded');
  });

  it('gives ValidationError with JSON pointers for a schema violation', async () => {
    const error = await client
      .create('people', { id: freshId(), name: 'x', age: -1 })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    const validation = error as ValidationError;
    expect(validation).toMatchObject({ status: 422, code: 'validation-failed' });
    expect(validation.errors.map((e) => e.pointer)).toContain('/age');
  });
});
