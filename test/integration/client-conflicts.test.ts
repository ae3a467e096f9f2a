/**
 * The client's view of conflict policies and the conflict inbox, against
 * the real server: the merge report of a write, the conflict link and
 * clashing paths of a 409, and listing, reading and resolving conflicts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcordClient, ConflictError } from '../../client/index';
import { parseConfig } from '../../functions/core/config';
import { freshId } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';

let api: TestApi;
let client: ConcordClient;

beforeAll(async () => {
  api = await startApi({
    config: parseConfig({
      collections: [
        { name: 'items' },
        { name: 'stats', conflictPolicy: 'merge', fields: { '/views': 'counter' } },
        { name: 'notes', conflictPolicy: 'last-writer-wins' },
      ],
    }),
  });
  client = new ConcordClient({ baseUrl: api.baseUrl, apiKey: api.apiKey });
});
afterAll(() => api.close());

const refusal = async (write: Promise<unknown>): Promise<ConflictError> => {
  const error = await write.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConflictError);
  return error as ConflictError;
};

describe('the client and conflict policies', () => {
  it('reports a merge with the field rules that settled it', async () => {
    const id = freshId();
    await client.replace('stats', id, { views: 1, title: 'a' }, { ifNoneMatch: '*' });
    await client.mergePatch('stats', id, { views: 2 }, { ifMatch: 1 });
    const merged = await client.mergePatch('stats', id, { views: 3 }, { ifMatch: 1 });
    expect(merged.outcome).toEqual({
      outcome: 'merged',
      base: 1,
      current: 2,
      rules: [{ path: '/views', rule: 'counter' }],
    });
    expect(merged.document).toMatchObject({ views: 4, version: 3 });
  });

  it('reports an overwrite, and nothing on a write that was not stale', async () => {
    const id = freshId();
    const first = await client.replace('notes', id, { t: 1 }, { ifNoneMatch: '*' });
    expect(first.outcome).toBeUndefined();
    await client.replace('notes', id, { t: 2 }, { ifMatch: 1 });
    const over = await client.replace('notes', id, { t: 3 }, { ifMatch: 1 });
    expect(over.outcome).toEqual({ outcome: 'overwrote', base: 1, current: 2, rules: [] });
  });

  it('carries the clashing paths and the conflict link of a refused merge', async () => {
    const id = freshId();
    await client.replace('stats', id, { title: 'a' }, { ifNoneMatch: '*' });
    await client.replace('stats', id, { title: 'b' }, { ifMatch: 1 });
    const error = await refusal(client.replace('stats', id, { title: 'c' }, { ifMatch: 1 }));
    expect(error.code).toBe('version-mismatch');
    expect(error.clashes).toEqual([{ path: '/title', base: 'a', theirs: 'b', ours: 'c' }]);
    expect(error.baseVersion).toBe(1);
    expect(error.baseKept).toBe(true);
    expect(error.conflict?.url).toBe(`/v1/conflicts/${error.conflict?.id}`);
  });
});

describe('the client and the conflict inbox', () => {
  it('lists, reads and resolves a recorded conflict', async () => {
    const id = freshId();
    await client.replace('items', id, { s: 'new' }, { ifNoneMatch: '*' });
    await client.replace('items', id, { s: 'paid' }, { ifMatch: 1 });
    const error = await refusal(client.replace('items', id, { s: 'void' }, { ifMatch: 1 }));
    const conflictId = error.conflict?.id ?? '';
    const page = await client.listConflicts({ documentId: id, status: 'open' });
    expect(page.items.map((c) => c.id)).toEqual([conflictId]);
    const record = await client.getConflict(conflictId);
    expect(record).toMatchObject({ documentId: id, baseVersion: 1, currentVersion: 2 });
    expect(record.proposal).toEqual({
      method: 'PUT',
      contentType: 'application/json',
      body: { s: 'void' },
    });
    const resolved = await client.resolveConflict(conflictId, 'merged', {
      document: { s: 'paid', note: 'void asked' },
    });
    expect(resolved.status).toBe('resolved');
    expect(resolved.resolution).toMatchObject({ strategy: 'merged', version: 3 });
    const again = await refusal(client.resolveConflict(conflictId, 'theirs'));
    expect(again.code).toBe('conflict-resolved');
    expect((await client.get('items', id)).document).toMatchObject({ note: 'void asked' });
  });
});
