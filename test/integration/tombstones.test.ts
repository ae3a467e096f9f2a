/**
 * Tombstones that expire, through real HTTP against DynamoDB Local: in a
 * collection with `history.tombstoneDays`, a deletion's tombstone carries a
 * TTL, a document written over it carries none, and once the tombstone is
 * gone (DynamoDB's TTL deletes it; here the test does) the id starts again at
 * a version above every earlier one, so an ETag from before the deletion
 * never matches again.
 */
import { DeleteCommand, GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config';
import { collectionPartition, itemSortKey, TABLE_KEYS } from '../../functions/store/keys';
import { authedSender, freshId } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';

let api: TestApi;
const call: ReturnType<typeof authedSender> = (...args) =>
  authedSender(api.baseUrl, api.headers)(...args);
const DAY = 24 * 60 * 60;

beforeAll(async () => {
  api = await startApi({
    config: parseConfig({
      collections: [{ name: 'items' }, { name: 'brief', history: { tombstoneDays: 2 } }],
    }),
  });
});
afterAll(() => api.close());

const rawItem = async (collection: string, id: string) =>
  (
    await api.client.send(
      new GetCommand({
        TableName: api.tableName,
        Key: {
          [TABLE_KEYS.partitionKey]: collectionPartition(api.tenant, collection),
          [TABLE_KEYS.sortKey]: itemSortKey(id),
        },
        ConsistentRead: true,
      }),
    )
  ).Item;

describe('tombstones that expire', () => {
  it('start a new document at the time of its creation, so versions never go back', async () => {
    const id = freshId();
    const before = Date.now();
    const created = await call('PUT', `/v1/brief/${id}`, {
      body: { n: 1 },
      headers: { 'if-none-match': '*' },
    });
    expect(created.status).toBe(201);
    const first = created.body.version as number;
    expect(first).toBeGreaterThanOrEqual(before);
    expect(first).toBeLessThanOrEqual(Date.now());
    expect(created.headers.get('etag')).toBe(`"${first}"`);

    const updated = await call('PUT', `/v1/brief/${id}`, {
      body: { n: 2 },
      headers: { 'if-match': `"${first}"` },
    });
    expect(updated.body.version).toBe(first + 1);
    const deletedAt = Date.now();
    const deleted = await call('DELETE', `/v1/brief/${id}`, {
      headers: { 'if-match': `"${first + 1}"` },
    });
    expect(deleted.status).toBe(204);
    const tombstone = await rawItem('brief', id);
    expect(tombstone?.state).toBe('deleted');
    expect(tombstone?.version).toBe(first + 2);
    const ttl = Number(tombstone?.[TABLE_KEYS.ttlAttribute]);
    expect(ttl).toBeGreaterThanOrEqual(Math.floor(deletedAt / 1000) + 2 * DAY - 5);
    expect(ttl).toBeLessThanOrEqual(Math.floor(Date.now() / 1000) + 2 * DAY + 5);

    // While the tombstone lives, a new document counts on from it, and carries no TTL.
    const revived = await call('PUT', `/v1/brief/${id}`, {
      body: { n: 3 },
      headers: { 'if-none-match': '*' },
    });
    expect(revived.status).toBe(201);
    expect(revived.body.version).toBe(first + 3);
    expect((await rawItem('brief', id))?.[TABLE_KEYS.ttlAttribute]).toBeUndefined();

    // Deleted again, and the tombstone expires.
    await call('DELETE', `/v1/brief/${id}`, { headers: { 'if-match': `"${first + 3}"` } });
    await api.client.send(
      new DeleteCommand({
        TableName: api.tableName,
        Key: {
          [TABLE_KEYS.partitionKey]: collectionPartition(api.tenant, 'brief'),
          [TABLE_KEYS.sortKey]: itemSortKey(id),
        },
      }),
    );
    await new Promise((resolve) => setTimeout(resolve, 10));
    const again = await call('PUT', `/v1/brief/${id}`, {
      body: { n: 4 },
      headers: { 'if-none-match': '*' },
    });
    expect(again.status).toBe(201);
    const restart = again.body.version as number;
    expect(restart).toBeGreaterThan(first + 4);
    // Every ETag handed out before the deletion is refused now.
    for (const version of [first, first + 1, first + 2, first + 3, first + 4]) {
      const stale = await call('PUT', `/v1/brief/${id}`, {
        body: { n: 5 },
        headers: { 'if-match': `"${version}"` },
      });
      expect(stale.status).not.toBe(200);
      expect([409, 412]).toContain(stale.status);
    }
    expect((await call('GET', `/v1/brief/${id}`)).body).toEqual({ id, version: restart, n: 4 });
  });

  it('leave collections without the setting as they were: versions from 1, tombstones kept', async () => {
    const id = freshId();
    const created = await call('PUT', `/v1/items/${id}`, {
      body: { n: 1 },
      headers: { 'if-none-match': '*' },
    });
    expect(created.body.version).toBe(1);
    await call('DELETE', `/v1/items/${id}`, { headers: { 'if-match': '"1"' } });
    expect((await rawItem('items', id))?.[TABLE_KEYS.ttlAttribute]).toBeUndefined();
  });

  it('give transaction creates and deletes the same lifecycle', async () => {
    const id = freshId();
    const before = Date.now();
    const created = await call('POST', '/v1/transactions', {
      body: { operations: [{ op: 'create', collection: 'brief', id, document: { n: 1 } }] },
    });
    expect(created.status).toBe(200);
    const version = created.body.results[0].version as number;
    expect(version).toBeGreaterThanOrEqual(before);
    const removed = await call('POST', '/v1/transactions', {
      body: { operations: [{ op: 'delete', collection: 'brief', id, ifMatch: `"${version}"` }] },
    });
    expect(removed.status).toBe(200);
    expect(Number((await rawItem('brief', id))?.[TABLE_KEYS.ttlAttribute])).toBeGreaterThan(
      Math.floor(before / 1000) + DAY,
    );
  });
});
