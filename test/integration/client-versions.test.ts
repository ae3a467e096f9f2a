/**
 * The client's version history calls against the real server: listing a
 * document's versions, reading one, restoring one, and the typed errors of
 * each refusal.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcordClient, ConcordError, ConflictError, NotFoundError } from '../../client/index';
import { parseConfig } from '../../functions/core/config';
import { freshId } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';

interface Order {
  status: string;
  total: number;
}

let api: TestApi;
let client: ConcordClient;

beforeAll(async () => {
  api = await startApi({ config: parseConfig({ collections: [{ name: 'items' }] }) });
  client = new ConcordClient({ baseUrl: api.baseUrl, apiKey: api.apiKey });
});
afterAll(() => api.close());

/** Versions 1 (create), 2 (replace), 3 (patch), 4 (delete) of a fresh document. */
const documentWithHistory = async (): Promise<string> => {
  const id = freshId();
  await client.create<Order>('items', { id, status: 'new', total: 40 });
  await client.replace<Order>('items', id, { status: 'paid', total: 40 }, { ifMatch: 1 });
  await client.mergePatch<Order>('items', id, { status: 'shipped' }, { ifMatch: 2 });
  await client.delete('items', id, { ifMatch: 3 });
  return id;
};

describe('version history through the client', () => {
  it('lists every version newest first, a page at a time, and reads each content version', async () => {
    const id = await documentWithHistory();
    const first = await client.versions('items', id, { limit: 3 });
    expect(first.items.map((v) => [v.version, v.operation, v.deleted])).toEqual([
      [4, 'delete', true],
      [3, 'patch', false],
      [2, 'replace', false],
    ]);
    expect(first.items[0]).toMatchObject({ etag: '"4"', keyId: expect.any(String) });
    expect(Number.isNaN(Date.parse(first.items[0]?.time ?? ''))).toBe(false);
    expect(first.nextCursor).toEqual(expect.any(String));

    const all = [];
    for await (const entry of client.allVersions('items', id, { limit: 2 })) all.push(entry);
    expect(all.map((v) => v.version)).toEqual([4, 3, 2, 1]);

    const paid = await client.version<Order>('items', id, 2);
    expect(paid).toMatchObject({ id, version: 2, etag: '"2"' });
    expect(paid.document).toEqual({ id, version: 2, status: 'paid', total: 40 });
  });

  it('refuses the deletion version (410) and versions never written (404) with typed errors', async () => {
    const id = await documentWithHistory();
    const deletion = await client.version('items', id, 4).catch((error: unknown) => error);
    expect(deletion).toBeInstanceOf(ConcordError);
    expect(deletion).toMatchObject({ status: 410, code: 'version-is-deletion' });
    await expect(client.version('items', id, 9)).rejects.toBeInstanceOf(NotFoundError);
    await expect(client.versions('items', freshId())).rejects.toBeInstanceOf(NotFoundError);
  });

  it('restores an old version as a new one, and revives a deleted document with ifNoneMatch', async () => {
    const id = await documentWithHistory();
    const revived = await client.restore<Order>('items', id, 2, { ifNoneMatch: '*' });
    expect(revived).toMatchObject({ version: 5, etag: '"5"', created: true, status: 201 });
    expect(revived.location).toBe(`/v1/items/${id}`);
    expect(revived.document).toEqual({ id, version: 5, status: 'paid', total: 40 });

    const back = await client.restore<Order>('items', id, 1, { ifMatch: revived.etag });
    expect(back).toMatchObject({ version: 6, created: false, status: 200 });
    expect((await client.get<Order>('items', id)).document).toEqual({
      id,
      version: 6,
      status: 'new',
      total: 40,
    });
    const newest = await client.versions('items', id, { limit: 2 });
    expect(newest.items.map((v) => [v.version, v.operation])).toEqual([
      [6, 'restore'],
      [5, 'restore'],
    ]);
  });

  it('refuses a stale restore with the current document, and a deletion with nothing-to-restore', async () => {
    const id = await documentWithHistory();
    await client.restore<Order>('items', id, 3, { ifNoneMatch: '*' });
    const stale = await client
      .restore<Order>('items', id, 1, { ifMatch: 4 })
      .catch((error: unknown) => error);
    expect(stale).toBeInstanceOf(ConflictError);
    expect((stale as ConflictError<Order>).current?.document).toEqual({
      id,
      version: 5,
      status: 'shipped',
      total: 40,
    });
    await expect(client.restore('items', id, 4, { ifMatch: 5 })).rejects.toMatchObject({
      status: 422,
      code: 'nothing-to-restore',
    });
    expect((await client.get('items', id)).version).toBe(5);
  });

  it('answers a restore retried with the same idempotency key with the first result', async () => {
    const id = await documentWithHistory();
    const options = { ifNoneMatch: '*' as const, idempotencyKey: `restore-${id}` };
    const first = await client.restore<Order>('items', id, 2, options);
    const again = await client.restore<Order>('items', id, 2, options);
    expect(first.replayed).toBe(false);
    expect(again).toMatchObject({ replayed: true, version: first.version, created: true });
    expect((await client.versions('items', id, { limit: 1 })).items[0]?.version).toBe(5);
  });
});
