import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/core/config';
import {
  AlreadyExistsError,
  BadRequestError,
  NotFoundError,
  PreconditionRequiredError,
  ValidationError,
  VersionMismatchError,
} from '../../../functions/core/errors';
import { createItemService } from '../../../functions/core/items';
import type { ItemStore } from '../../../functions/core/items-model';
import type { EntityTag, Preconditions } from '../../../functions/core/preconditions';
import { createMemoryItemStore } from '../../helpers/memory-item-store';

const T = 'tenant-a';
const config = parseConfig({
  collections: [
    { name: 'notes' },
    { name: 'open', requirePrecondition: false },
    {
      name: 'typed',
      schema: { type: 'object', required: ['title'], properties: { title: { type: 'string' } } },
    },
  ],
});

const tag = (version: number | string, weak = false): EntityTag => ({
  weak,
  opaque: String(version),
});
const ifMatch = (...versions: number[]): Preconditions => ({
  ifMatch: versions.map((v) => tag(v)),
});
const CREATE: Preconditions = { ifNoneMatch: '*' };

const NOW = Date.parse('2024-01-01T00:00:00.000Z');

const setup = (store: ItemStore = createMemoryItemStore()) => {
  let n = 0;
  const items = createItemService({ config, store, newId: () => `gen-${++n}`, now: () => NOW });
  return { items, store };
};

/** A document at version `version` of `notes`. */
const seeded = async (version: number, id = 'doc-1') => {
  const ctx = setup();
  await ctx.items.replace(T, 'notes', id, { title: 'v1' }, CREATE);
  for (let v = 2; v <= version; v++) {
    await ctx.items.replace(T, 'notes', id, { title: `v${v}` }, ifMatch(v - 1));
  }
  return ctx;
};

const rejection = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
};

describe('create', () => {
  it('creates a document with a generated id at version 1', async () => {
    const { items } = setup();
    const result = await items.create(T, 'notes', { title: 'hello' });
    expect(result).toEqual({
      created: true,
      item: {
        id: 'gen-1',
        version: 1,
        etag: '"1"',
        updatedAt: expect.any(String),
        document: { id: 'gen-1', version: 1, title: 'hello' },
      },
    });
  });

  it('uses the id of the body and refuses it when a live document has it', async () => {
    const { items } = setup();
    await items.create(T, 'notes', { id: 'mine', title: 'a' });
    const error = await rejection(items.create(T, 'notes', { id: 'mine', title: 'b' }));
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect((error as AlreadyExistsError).current.document).toEqual({
      id: 'mine',
      version: 1,
      title: 'a',
    });
    expect((error as AlreadyExistsError).precondition).toBeUndefined();
  });

  it('refuses a version in a new document', async () => {
    const { items } = setup();
    await expect(items.create(T, 'notes', { version: 1 })).rejects.toBeInstanceOf(BadRequestError);
  });

  it('refuses an id outside the id alphabet', async () => {
    const { items } = setup();
    await expect(items.create(T, 'notes', { id: 'a/b' })).rejects.toBeInstanceOf(BadRequestError);
    await expect(items.create(T, 'notes', { id: 5 })).rejects.toBeInstanceOf(BadRequestError);
  });

  it('answers NotFoundError for an unknown collection', async () => {
    const { items } = setup();
    await expect(items.create(T, 'nope', {})).rejects.toBeInstanceOf(NotFoundError);
  });

  it('validates against the collection schema', async () => {
    const { items, store } = setup();
    const error = await rejection(items.create(T, 'typed', { title: 1 }));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toEqual([
      { pointer: '/title', message: 'must be string' },
    ]);
    expect((store as ReturnType<typeof createMemoryItemStore>).commits()).toBe(0);
  });

  it('keeps tenants apart', async () => {
    const { items } = setup();
    await items.create('t1', 'notes', { id: 'same' });
    await expect(items.create('t2', 'notes', { id: 'same' })).resolves.toMatchObject({
      created: true,
    });
  });
});

describe('replace', () => {
  it('creates with If-None-Match: * and refuses a second create as already existing', async () => {
    const { items } = setup();
    const first = await items.replace(T, 'notes', 'doc-1', { title: 'a' }, CREATE);
    expect(first.created).toBe(true);
    expect(first.item.version).toBe(1);
    const error = await rejection(items.replace(T, 'notes', 'doc-1', { title: 'b' }, CREATE));
    expect(error).toBeInstanceOf(AlreadyExistsError);
    expect((error as AlreadyExistsError).precondition).toBe('if-none-match');
  });

  it('replaces when If-Match names the current version', async () => {
    const { items } = await seeded(2);
    const result = await items.replace(T, 'notes', 'doc-1', { title: 'new' }, ifMatch(2));
    expect(result).toEqual({
      created: false,
      item: {
        id: 'doc-1',
        version: 3,
        etag: '"3"',
        updatedAt: expect.any(String),
        document: { id: 'doc-1', version: 3, title: 'new' },
      },
    });
  });

  it('replaces when any tag of an If-Match list matches', async () => {
    const { items } = await seeded(3);
    const result = await items.replace(T, 'notes', 'doc-1', { title: 'x' }, ifMatch(1, 3, 9));
    expect(result.item.version).toBe(4);
  });

  it('fails with the current state when If-Match is stale', async () => {
    const { items } = await seeded(3);
    const error = await rejection(items.replace(T, 'notes', 'doc-1', { title: 'x' }, ifMatch(2)));
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).precondition).toBe('if-match');
    expect((error as VersionMismatchError).current).toEqual({
      id: 'doc-1',
      version: 3,
      etag: '"3"',
      updatedAt: expect.any(String),
      document: { id: 'doc-1', version: 3, title: 'v3' },
    });
  });

  it('never matches a weak tag under strong comparison', async () => {
    const { items } = await seeded(1);
    const error = await rejection(
      items.replace(T, 'notes', 'doc-1', { title: 'x' }, { ifMatch: [tag(1, true)] }),
    );
    expect(error).toBeInstanceOf(VersionMismatchError);
  });

  it('replaces any live version with If-Match: *', async () => {
    const { items } = await seeded(4);
    const result = await items.replace(T, 'notes', 'doc-1', { title: 'x' }, { ifMatch: '*' });
    expect(result.item.version).toBe(5);
  });

  it('answers NotFoundError for If-Match on a missing document', async () => {
    const { items } = setup();
    await expect(items.replace(T, 'notes', 'ghost', {}, { ifMatch: '*' })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('treats a body version as If-Match', async () => {
    const { items } = await seeded(2);
    const error = await rejection(
      items.replace(T, 'notes', 'doc-1', { version: 1, title: 'x' }, {}),
    );
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).precondition).toBeUndefined();
    const result = await items.replace(T, 'notes', 'doc-1', { version: 2, title: 'x' }, {});
    expect(result.item.document).toEqual({ id: 'doc-1', version: 3, title: 'x' });
  });

  it('refuses a body version that disagrees with If-Match', async () => {
    const { items } = await seeded(2);
    await expect(
      items.replace(T, 'notes', 'doc-1', { version: 2 }, ifMatch(1)),
    ).rejects.toBeInstanceOf(BadRequestError);
  });

  it('refuses a body id that differs from the path id', async () => {
    const { items } = await seeded(1);
    await expect(
      items.replace(T, 'notes', 'doc-1', { id: 'other' }, ifMatch(1)),
    ).rejects.toBeInstanceOf(BadRequestError);
  });

  it('requires a precondition when the collection does', async () => {
    const { items, store } = await seeded(1);
    await expect(items.replace(T, 'notes', 'doc-1', { title: 'x' }, {})).rejects.toBeInstanceOf(
      PreconditionRequiredError,
    );
    await expect(items.replace(T, 'notes', 'new', { title: 'x' }, {})).rejects.toBeInstanceOf(
      PreconditionRequiredError,
    );
    expect((await store.get({ tenant: T, collection: 'notes', id: 'doc-1' }))?.version).toBe(1);
  });

  it('upserts without preconditions in an opted-out collection', async () => {
    const { items } = setup();
    const created = await items.replace(T, 'open', 'o1', { n: 1 }, {});
    expect(created.created).toBe(true);
    const replaced = await items.replace(T, 'open', 'o1', { n: 2 }, {});
    expect(replaced).toMatchObject({ created: false, item: { version: 2, document: { n: 2 } } });
  });
});

describe('read', () => {
  it('returns the document with its ETag', async () => {
    const { items } = await seeded(2);
    expect(await items.read(T, 'notes', 'doc-1', {})).toEqual({
      status: 'ok',
      item: {
        id: 'doc-1',
        version: 2,
        etag: '"2"',
        updatedAt: expect.any(String),
        document: { id: 'doc-1', version: 2, title: 'v2' },
      },
    });
  });

  it('answers not-modified when If-None-Match names the version, weak tags included', async () => {
    const { items } = await seeded(2);
    const weak = await items.read(T, 'notes', 'doc-1', { ifNoneMatch: [tag(2, true)] });
    expect(weak.status).toBe('not-modified');
    expect(weak.item.etag).toBe('"2"');
    const list = await items.read(T, 'notes', 'doc-1', { ifNoneMatch: [tag(1), tag(2)] });
    expect(list.status).toBe('not-modified');
    const star = await items.read(T, 'notes', 'doc-1', { ifNoneMatch: '*' });
    expect(star.status).toBe('not-modified');
  });

  it('answers ok when If-None-Match names another version', async () => {
    const { items } = await seeded(2);
    const result = await items.read(T, 'notes', 'doc-1', { ifNoneMatch: [tag(1, true)] });
    expect(result.status).toBe('ok');
  });

  it('fails a read whose If-Match is stale', async () => {
    const { items } = await seeded(2);
    const error = await rejection(items.read(T, 'notes', 'doc-1', ifMatch(1)));
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).precondition).toBe('if-match');
    await expect(items.read(T, 'notes', 'doc-1', ifMatch(2))).resolves.toMatchObject({
      status: 'ok',
    });
  });

  it('evaluates If-Match before If-None-Match', async () => {
    const { items } = await seeded(2);
    await expect(
      items.read(T, 'notes', 'doc-1', { ifMatch: [tag(1)], ifNoneMatch: [tag(2)] }),
    ).rejects.toBeInstanceOf(VersionMismatchError);
  });

  it('answers NotFoundError for missing and deleted documents', async () => {
    const { items } = await seeded(1);
    await expect(items.read(T, 'notes', 'ghost', {})).rejects.toBeInstanceOf(NotFoundError);
    await items.remove(T, 'notes', 'doc-1', ifMatch(1));
    await expect(items.read(T, 'notes', 'doc-1', {})).rejects.toBeInstanceOf(NotFoundError);
  });

  it('refuses a malformed id', async () => {
    const { items } = setup();
    await expect(items.read(T, 'notes', '', {})).rejects.toBeInstanceOf(BadRequestError);
  });
});

describe('patch', () => {
  it('merges a merge patch into the current version', async () => {
    const { items } = await seeded(1);
    await items.replace(T, 'notes', 'doc-1', { title: 't', meta: { a: 1, b: 2 } }, ifMatch(1));
    const result = await items.patch(
      T,
      'notes',
      'doc-1',
      { format: 'merge', value: { meta: { a: null, c: 3 } } },
      ifMatch(2),
    );
    expect(result.item.document).toEqual({
      id: 'doc-1',
      version: 3,
      title: 't',
      meta: { b: 2, c: 3 },
    });
  });

  it('applies a JSON Patch whose test of /version acts as the precondition', async () => {
    const { items } = await seeded(2);
    const ops = (v: number) => [
      { op: 'test', path: '/version', value: v },
      { op: 'replace', path: '/title', value: 'patched' },
    ];
    const result = await items.patch(
      T,
      'notes',
      'doc-1',
      { format: 'json', value: ops(2) },
      {
        ifMatch: '*',
      },
    );
    expect(result.item.document).toEqual({ id: 'doc-1', version: 3, title: 'patched' });
    await expect(
      items.patch(T, 'notes', 'doc-1', { format: 'json', value: ops(2) }, { ifMatch: '*' }),
    ).rejects.toMatchObject({ code: 'patch-test-failed', pointer: '/version' });
  });

  it.each([
    ['replace /id', [{ op: 'replace', path: '/id', value: 'other' }], '/id'],
    ['replace /version', [{ op: 'replace', path: '/version', value: 99 }], '/version'],
    ['remove /version', [{ op: 'remove', path: '/version' }], '/version'],
  ])('refuses a JSON Patch that does %s with ValidationError', async (_, value, pointer) => {
    const { items } = await seeded(1);
    const error = await rejection(
      items.patch(T, 'notes', 'doc-1', { format: 'json', value }, ifMatch(1)),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toEqual([{ pointer, message: 'cannot be changed' }]);
  });

  it('refuses a merge patch whose id differs from the path', async () => {
    const { items } = await seeded(1);
    await expect(
      items.patch(T, 'notes', 'doc-1', { format: 'merge', value: { id: 'x' } }, ifMatch(1)),
    ).rejects.toBeInstanceOf(BadRequestError);
  });

  it('treats a merge patch version as If-Match', async () => {
    const { items } = await seeded(2);
    await expect(
      items.patch(T, 'notes', 'doc-1', { format: 'merge', value: { version: 1, a: 1 } }, {}),
    ).rejects.toBeInstanceOf(VersionMismatchError);
    const ok = await items.patch(
      T,
      'notes',
      'doc-1',
      { format: 'merge', value: { version: 2, a: 1 } },
      {},
    );
    expect(ok.item.document).toEqual({ id: 'doc-1', version: 3, title: 'v2', a: 1 });
  });

  it('requires a precondition when the collection does', async () => {
    const { items } = await seeded(1);
    await expect(
      items.patch(T, 'notes', 'doc-1', { format: 'merge', value: { a: 1 } }, {}),
    ).rejects.toBeInstanceOf(PreconditionRequiredError);
  });

  it('refuses a malformed JSON Patch before reading', async () => {
    const { items } = setup();
    await expect(
      items.patch(T, 'notes', 'ghost', { format: 'json', value: [{ op: 'nope' }] }, ifMatch(1)),
    ).rejects.toBeInstanceOf(BadRequestError);
  });

  it('answers NotFoundError for a missing document', async () => {
    const { items } = setup();
    await expect(
      items.patch(T, 'notes', 'ghost', { format: 'merge', value: {} }, { ifMatch: '*' }),
    ).rejects.toBeInstanceOf(NotFoundError);
  });

  /** A store where someone else writes `theirs` right before each of our first `races` commits. */
  const racing = (races: number) => {
    const inner = createMemoryItemStore();
    let left = races;
    const store: ItemStore = {
      ...inner,
      async commit(plan) {
        const part = plan.parts[0];
        if (left > 0 && part?.kind === 'document' && part.body !== null) {
          left--;
          const current = await inner.get(part.key);
          inner.seed(part.key, { ...current?.body, theirs: races - left });
        }
        return inner.commit(plan);
      },
    };
    return { inner, store };
  };

  it('re-applies an unpinned patch to the newer document after losing a race', async () => {
    const { inner, store } = racing(1);
    inner.seed({ tenant: T, collection: 'open', id: 'r1' }, { title: 'a' });
    const result = await setup(store).items.patch(
      T,
      'open',
      'r1',
      { format: 'merge', value: { mine: 1 } },
      {},
    );
    expect(result).toEqual({
      created: false,
      item: {
        id: 'r1',
        version: 3,
        etag: '"3"',
        updatedAt: expect.any(String),
        document: { id: 'r1', version: 3, title: 'a', theirs: 1, mine: 1 },
      },
    });
    // our refused write, then our write re-applied to theirs (the refusal carried it: no re-read)
    expect(inner.commits()).toBe(2);
  });

  it('re-applies a patch with If-Match: * after losing two races', async () => {
    const { inner, store } = racing(2);
    inner.seed({ tenant: T, collection: 'notes', id: 'r2' }, { title: 'a' });
    const result = await setup(store).items.patch(
      T,
      'notes',
      'r2',
      { format: 'merge', value: { mine: true } },
      { ifMatch: '*' },
    );
    expect(result.item.document).toEqual({
      id: 'r2',
      version: 4,
      title: 'a',
      theirs: 2,
      mine: true,
    });
    expect(inner.commits()).toBe(3);
  });

  it('gives up with VersionMismatchError after three lost races', async () => {
    const { inner, store } = racing(3);
    inner.seed({ tenant: T, collection: 'open', id: 'r3' }, { title: 'a' });
    const error = await rejection(
      setup(store).items.patch(T, 'open', 'r3', { format: 'merge', value: { mine: 1 } }, {}),
    );
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).current.version).toBe(4);
    expect((await inner.get({ tenant: T, collection: 'open', id: 'r3' }))?.body).toEqual({
      title: 'a',
      theirs: 3,
    });
  });

  it('does not retry a patch pinned by If-Match', async () => {
    const { inner, store } = racing(1);
    inner.seed({ tenant: T, collection: 'notes', id: 'r4' }, { title: 'a' });
    const error = await rejection(
      setup(store).items.patch(T, 'notes', 'r4', { format: 'merge', value: { m: 1 } }, ifMatch(1)),
    );
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect((error as VersionMismatchError).current.document).toEqual({
      id: 'r4',
      version: 2,
      title: 'a',
      theirs: 1,
    });
  });
});

describe('remove', () => {
  it('leaves a tombstone, and recreation continues the version count', async () => {
    const store = createMemoryItemStore();
    const { items } = setup(store);
    await items.replace(T, 'notes', 'doc-1', { title: 'a' }, CREATE);
    await items.replace(T, 'notes', 'doc-1', { title: 'b' }, ifMatch(1));
    const removed = await items.remove(T, 'notes', 'doc-1', ifMatch(2));
    expect(removed.created).toBe(false);
    expect(await store.get({ tenant: T, collection: 'notes', id: 'doc-1' })).toEqual({
      id: 'doc-1',
      version: 3,
      deleted: true,
      body: {},
      updatedAt: '2024-01-01T00:00:00.000Z',
    });
    const again = await items.replace(T, 'notes', 'doc-1', { title: 'c' }, CREATE);
    expect(again).toMatchObject({ created: true, item: { version: 4, etag: '"4"' } });
  });

  it('lets a stale ETag from before the delete never match the recreated document', async () => {
    const { items } = await seeded(1);
    await items.remove(T, 'notes', 'doc-1', ifMatch(1));
    await items.create(T, 'notes', { id: 'doc-1', title: 'again' });
    await expect(
      items.replace(T, 'notes', 'doc-1', { title: 'x' }, ifMatch(1)),
    ).rejects.toBeInstanceOf(VersionMismatchError);
  });

  it('fails a delete with a stale If-Match, and a second delete as not found', async () => {
    const { items } = await seeded(2);
    await expect(items.remove(T, 'notes', 'doc-1', ifMatch(1))).rejects.toBeInstanceOf(
      VersionMismatchError,
    );
    await items.remove(T, 'notes', 'doc-1', ifMatch(2));
    await expect(items.remove(T, 'notes', 'doc-1', { ifMatch: '*' })).rejects.toBeInstanceOf(
      NotFoundError,
    );
  });

  it('requires a precondition when the collection does', async () => {
    const { items } = await seeded(1);
    await expect(items.remove(T, 'notes', 'doc-1', {})).rejects.toBeInstanceOf(
      PreconditionRequiredError,
    );
  });
});

describe('list', () => {
  it('lists live documents in id order with a cursor', async () => {
    const { items } = setup();
    for (const id of ['c', 'a', 'd', 'b']) await items.replace(T, 'open', id, { id }, {});
    await items.remove(T, 'open', 'c', {});
    const first = await items.list(T, 'open', { limit: 2 });
    expect(first.items.map((i) => i.id)).toEqual(['a', 'b']);
    expect(first.cursor).toEqual(expect.any(String));
    const second = await items.list(T, 'open', { limit: 2, cursor: first.cursor });
    expect(second.items.map((i) => i.document)).toEqual([{ id: 'd', version: 1 }]);
    expect(second).not.toHaveProperty('cursor');
  });

  it.each([0, 101, 1.5, Number.NaN, -1])('refuses the limit %s', async (limit) => {
    const { items } = setup();
    await expect(items.list(T, 'open', { limit })).rejects.toBeInstanceOf(BadRequestError);
  });

  it('accepts limits 1 and 100', async () => {
    const { items } = setup();
    await expect(items.list(T, 'open', { limit: 1 })).resolves.toEqual({ items: [] });
    await expect(items.list(T, 'open', { limit: 100 })).resolves.toEqual({ items: [] });
  });

  it('answers NotFoundError for an unknown collection', async () => {
    const { items } = setup();
    await expect(items.list(T, 'nope', {})).rejects.toBeInstanceOf(NotFoundError);
  });
});
