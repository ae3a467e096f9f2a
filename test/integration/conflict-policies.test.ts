/**
 * Conflict policies through real HTTP against DynamoDB Local: a stale write
 * under `merge` is merged when its changes do not overlap and refused with
 * the clashing paths when they do; field rules settle clashes;
 * `last-writer-wins` overwrites and keeps the overwritten version in the
 * history; a merge racing other writers loses nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config';
import { authedSender, freshId, problemType } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';

let api: TestApi;
/** Item-store requests the server made: a refused write tried again shows as an extra commit. */
const storeCalls = { commit: 0, snapshot: 0 };
const call: ReturnType<typeof authedSender> = (...args) =>
  authedSender(api.baseUrl, api.headers)(...args);
const MERGE = { 'content-type': 'application/merge-patch+json' };
const JSON_PATCH = { 'content-type': 'application/json-patch+json' };

beforeAll(async () => {
  api = await startApi({
    config: parseConfig({
      collections: [
        { name: 'strict' },
        { name: 'merged', conflictPolicy: 'merge' },
        {
          name: 'ruled',
          conflictPolicy: 'merge',
          fields: {
            '/views': 'counter',
            '/tags': 'union',
            '/log': 'append',
            '/high': 'max',
            '/low': 'min',
            '/title': 'last-writer-wins',
            '/owner': 'server-wins',
          },
        },
        { name: 'short', conflictPolicy: 'merge', history: { keepVersions: 2 } },
        { name: 'lww', conflictPolicy: 'last-writer-wins' },
      ],
    }),
    wrapStore: (store) => ({
      ...store,
      commit: (plan) => {
        storeCalls.commit++;
        return store.commit(plan);
      },
      snapshot: (key, wants) => {
        storeCalls.snapshot++;
        return store.snapshot(key, wants);
      },
    }),
  });
});
afterAll(() => api.close());

/** Creates a document and moves it on to version 2 with `second`. */
const twoVersions = async (collection: string, first: object, second: object) => {
  const id = freshId();
  const created = await call('PUT', `/v1/${collection}/${id}`, {
    body: first,
    headers: { 'if-none-match': '*' },
  });
  expect(created.status).toBe(201);
  const moved = await call('PATCH', `/v1/${collection}/${id}`, {
    raw: JSON.stringify(second),
    headers: { ...MERGE, 'if-match': '"1"' },
  });
  expect(moved.status).toBe(200);
  return id;
};

describe('the merge policy', () => {
  it('merges a stale merge patch whose fields do not overlap, keeping both changes', async () => {
    const id = await twoVersions('merged', { status: 'new', total: 40 }, { status: 'paid' });
    const stale = await call('PATCH', `/v1/merged/${id}`, {
      raw: JSON.stringify({ note: 'gift' }),
      headers: { ...MERGE, 'if-match': '"1"' },
    });
    expect(stale.status).toBe(200);
    expect(stale.headers.get('etag')).toBe('"3"');
    expect(stale.headers.get('concord-write-outcome')).toBe('merged;base=1;current=2');
    expect(stale.body).toEqual({ id, version: 3, status: 'paid', total: 40, note: 'gift' });
    const read = await call('GET', `/v1/merged/${id}`);
    expect(read.body).toEqual(stale.body);
  });

  it('merges a stale PUT and a stale JSON Patch the same way', async () => {
    const id = await twoVersions('merged', { a: 1, b: 1, c: 1 }, { a: 2 });
    const put = await call('PUT', `/v1/merged/${id}`, {
      body: { a: 1, b: 5, c: 1 },
      headers: { 'if-match': '"1"' },
    });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({ id, version: 3, a: 2, b: 5, c: 1 });
    const patch = await call('PATCH', `/v1/merged/${id}`, {
      raw: JSON.stringify([{ op: 'replace', path: '/c', value: 9 }]),
      headers: { ...JSON_PATCH, 'if-match': '"2"' },
    });
    expect(patch.status).toBe(200);
    expect(patch.body).toEqual({ id, version: 4, a: 2, b: 5, c: 9 });
  });

  it('refuses overlapping changes with each clashing path and its three values', async () => {
    const id = await twoVersions('merged', { status: 'new', total: 40 }, { status: 'paid' });
    const stale = await call('PATCH', `/v1/merged/${id}`, {
      raw: JSON.stringify({ status: 'cancelled', total: 41 }),
      headers: { ...MERGE, 'if-match': '"1"' },
    });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({
      type: problemType('version-mismatch'),
      baseVersion: 1,
      clashes: [{ path: '/status', base: 'new', theirs: 'paid', ours: 'cancelled' }],
      current: { version: 2, document: { id, version: 2, status: 'paid', total: 40 } },
    });
    const read = await call('GET', `/v1/merged/${id}`);
    expect(read.body.version).toBe(2);
  });

  it('refuses with 409 when the base version is no longer kept, never guessing', async () => {
    const id = await twoVersions('short', { a: 1 }, { b: 1 });
    await call('PATCH', `/v1/short/${id}`, {
      raw: JSON.stringify({ c: 1 }),
      headers: { ...MERGE, 'if-match': '"2"' },
    });
    const stale = await call('PATCH', `/v1/short/${id}`, {
      raw: JSON.stringify({ d: 1 }),
      headers: { ...MERGE, 'if-match': '"1"' },
    });
    expect(stale.status).toBe(409);
    expect(stale.body).toMatchObject({ baseVersion: 1, baseKept: false, clashes: [] });
    expect(stale.body.detail).toContain('no longer in the history');
  });

  it('keeps refusing stale writes in a collection with the default policy', async () => {
    const id = await twoVersions('strict', { a: 1 }, { b: 1 });
    const stale = await call('PATCH', `/v1/strict/${id}`, {
      raw: JSON.stringify({ c: 1 }),
      headers: { ...MERGE, 'if-match': '"1"' },
    });
    expect(stale.status).toBe(409);
    expect(stale.body.clashes).toBeUndefined();
  });

  it.each([
    ['counter', 'views', 10, 13, 11, 14],
    ['union', 'tags', ['a', 'b'], ['a', 'b', 'c'], ['b', 'd'], ['b', 'c', 'd']],
    ['append', 'log', ['x'], ['x', 'y'], ['x', 'z'], ['x', 'y', 'z']],
    ['max', 'high', 1, 5, 7, 7],
    ['min', 'low', 9, 5, 7, 5],
    ['last-writer-wins', 'title', 'a', 'b', 'c', 'c'],
    ['server-wins', 'owner', 'a', 'b', 'c', 'b'],
  ])(
    'settles a clash on a %s field and reports the rule',
    async (rule, field, base, theirs, ours, result) => {
      const id = await twoVersions('ruled', { [field]: base }, { [field]: theirs });
      const stale = await call('PUT', `/v1/ruled/${id}`, {
        body: { [field]: ours },
        headers: { 'if-match': '"1"' },
      });
      expect(stale.status).toBe(200);
      expect(stale.body[field]).toEqual(result);
      expect(stale.headers.get('concord-merge-rules')).toBe(`"/${field}";rule=${rule}`);
    },
  );

  it('applies every one of 16 stale counter writers racing one document, each once', async () => {
    const id = freshId();
    await call('PUT', `/v1/ruled/${id}`, {
      body: { views: 0 },
      headers: { 'if-none-match': '*' },
    });
    storeCalls.commit = 0;
    storeCalls.snapshot = 0;
    const answers = await Promise.all(
      Array.from({ length: 16 }, () =>
        call('PATCH', `/v1/ruled/${id}`, {
          raw: JSON.stringify({ views: 1 }),
          headers: { ...MERGE, 'if-match': '"1"' },
        }),
      ),
    );
    // One server: the stale writers take turns on the document instead of
    // refusing one another, so none runs out of attempts.
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    // Each answer is its own version, and its counter counts every write before it.
    const versions = answers.map((a) => a.body.version as number).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: 16 }, (_, i) => i + 2));
    for (const a of answers) expect(a.body.views).toBe((a.body.version as number) - 1);
    // Each is one write: none was refused, and none read (every version, the
    // first included, was written by this server, which knows it).
    expect(storeCalls).toEqual({ snapshot: 0, commit: 16 });
    const read = await call('GET', `/v1/ruled/${id}`);
    expect(read.body).toMatchObject({ views: 16, version: 17 });
  });
  it('merges counter writers that each name their own last version, with one write each', async () => {
    const id = freshId();
    await call('PUT', `/v1/ruled/${id}`, { body: { views: 0 }, headers: { 'if-none-match': '*' } });
    // The first increments name version 1, written by the create.
    const first = await Promise.all(
      Array.from({ length: 4 }, () =>
        call('PATCH', `/v1/ruled/${id}`, {
          raw: JSON.stringify({ views: 1 }),
          headers: { ...MERGE, 'if-match': '"1"' },
        }),
      ),
    );
    storeCalls.commit = 0;
    storeCalls.snapshot = 0;
    // Then each writer goes on from the version its last answer named, stale
    // as soon as another wrote; the bases are versions this server wrote.
    const answers = await Promise.all(
      first.map(async (answer) => {
        let last = answer;
        const statuses: number[] = [];
        for (let i = 0; i < 4; i++) {
          // One more than the count in the version it names: a delta of 1.
          last = await call('PATCH', `/v1/ruled/${id}`, {
            raw: JSON.stringify({ views: (last.body.views as number) + 1 }),
            headers: { ...MERGE, 'if-match': last.headers.get('etag') ?? '' },
          });
          statuses.push(last.status);
        }
        return statuses;
      }),
    );
    expect(answers.flat()).toEqual(Array.from({ length: 16 }, () => 200));
    expect(storeCalls).toEqual({ snapshot: 0, commit: 16 });
    const read = await call('GET', `/v1/ruled/${id}`);
    expect(read.body).toMatchObject({ views: 20, version: 21 });
  });
  it('does not refuse from a lease it knew of once that lease is released', async () => {
    const id = await twoVersions('merged', { a: 1 }, { b: 1 });
    const lock = await call('POST', `/v1/merged/${id}/lock`);
    expect(lock.status).toBe(200);
    const token = lock.headers.get('lock-token') ?? '';
    // A stale write through the lease: this server now knows version 3, leased.
    const through = await call('PATCH', `/v1/merged/${id}`, {
      raw: JSON.stringify({ c: 1 }),
      headers: { ...MERGE, 'if-match': '"1"', 'lock-token': token },
    });
    expect(through.status).toBe(200);
    const released = await call('DELETE', `/v1/merged/${id}/lock`, {
      headers: { 'lock-token': token },
    });
    expect(released.status).toBe(204);
    const after = await call('PATCH', `/v1/merged/${id}`, {
      raw: JSON.stringify({ d: 1 }),
      headers: { ...MERGE, 'if-match': '"3"' },
    });
    expect(after.status).toBe(200);
    expect(after.body).toEqual({ id, version: 4, a: 1, b: 1, c: 1, d: 1 });
  });
});

describe('the last-writer-wins policy', () => {
  it('applies a stale write over the current version and keeps the overwritten one in history', async () => {
    const id = await twoVersions('lww', { status: 'new' }, { status: 'paid' });
    const stale = await call('PUT', `/v1/lww/${id}`, {
      body: { status: 'cancelled' },
      headers: { 'if-match': '"1"' },
    });
    expect(stale.status).toBe(200);
    expect(stale.headers.get('concord-write-outcome')).toBe('overwrote;base=1;current=2');
    expect(stale.body).toEqual({ id, version: 3, status: 'cancelled' });
    const overwritten = await call('GET', `/v1/lww/${id}/versions/2`);
    expect(overwritten.body).toEqual({ id, version: 2, status: 'paid' });
  });

  it('applies a stale patch to the current version', async () => {
    const id = await twoVersions('lww', { a: 1 }, { b: 2 });
    const stale = await call('PATCH', `/v1/lww/${id}`, {
      raw: JSON.stringify({ c: 3 }),
      headers: { ...MERGE, 'if-match': '"1"' },
    });
    expect(stale.status).toBe(200);
    expect(stale.body).toEqual({ id, version: 3, a: 1, b: 2, c: 3 });
  });

  it('serialises 16 racing stale PUTs, one write each, and keeps every overwritten version', async () => {
    const id = freshId();
    await call('PUT', `/v1/lww/${id}`, { body: { by: -1 }, headers: { 'if-none-match': '*' } });
    storeCalls.commit = 0;
    storeCalls.snapshot = 0;
    const answers = await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        call('PUT', `/v1/lww/${id}`, { body: { by: i }, headers: { 'if-match': '"1"' } }),
      ),
    );
    expect(answers.map((a) => a.status)).toEqual(answers.map(() => 200));
    // One write each, none refused, nothing read.
    expect(storeCalls).toEqual({ snapshot: 0, commit: 16 });
    // Versions 2..17, one per writer, each in the history with that writer's body.
    const byVersion = new Map(answers.map((a) => [a.body.version as number, a.body.by]));
    expect([...byVersion.keys()].sort((a, b) => a - b)).toEqual(
      Array.from({ length: 16 }, (_, i) => i + 2),
    );
    for (const [version, by] of byVersion) {
      const kept = await call('GET', `/v1/lww/${id}/versions/${version}`);
      expect(kept.body).toEqual({ id, version, by });
    }
  });
});
