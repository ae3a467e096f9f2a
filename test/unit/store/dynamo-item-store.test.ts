import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactGetCommand,
} from '@aws-sdk/lib-dynamodb';
import { describe, expect, it } from 'vitest';
import { BadRequestError } from '../../../functions/core/errors';
import { createDynamoItemStore, overFetch } from '../../../functions/store/dynamo-item-store';

type Answer = Record<string, unknown>;

/** A DocumentClient whose send answers from a script and records what it was sent. */
const fakeClient = (answers: Answer[]) => {
  const sent: Array<{ name: string; input: Record<string, unknown> }> = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ name: command.constructor.name, input: command.input });
      const next = answers.shift();
      if (!next) throw new Error('unexpected request');
      return next;
    },
  } as unknown as DynamoDBDocumentClient;
  return { client, sent };
};

const record = (id: string, version = 1, state = 'live') => ({
  pk: 'T#acme#C#notes',
  sk: `I#${id}`,
  id,
  version,
  state,
  body: JSON.stringify({ name: id }),
  updatedAt: '2024-01-01T00:00:00.000Z',
});

const cursorAfter = (id: string): string =>
  Buffer.from(JSON.stringify({ after: id })).toString('base64url');

const storeWith = (answers: Answer[]) => {
  const { client, sent } = fakeClient(answers);
  const store = createDynamoItemStore({ client, tableName: 'items' });
  return { store, sent };
};

describe('DynamoItemStore cursors', () => {
  it('returns an opaque cursor that names only the last id, never the tenant', async () => {
    const { store } = storeWith([
      { Items: [record('a'), record('b')], LastEvaluatedKey: { pk: 'T#acme#C#notes', sk: 'I#b' } },
    ]);
    const page = await store.list('acme', 'notes', { limit: 2 });
    expect(page.items.map((i) => i.id)).toEqual(['a', 'b']);
    expect(page.cursor).toBe(cursorAfter('b'));
    const decoded = JSON.parse(Buffer.from(page.cursor ?? '', 'base64url').toString('utf8'));
    expect(decoded).toEqual({ after: 'b' });
    expect(Buffer.from(page.cursor ?? '', 'base64url').toString('utf8')).not.toContain('acme');
  });

  it('starts the query inside the requesting tenant whatever the cursor was made for', async () => {
    const { store, sent } = storeWith([{ Items: [] }]);
    await store.list('other', 'notes', { limit: 5, cursor: cursorAfter('b') });
    expect(sent[0]?.name).toBe(QueryCommand.name);
    expect(sent[0]?.input.ExclusiveStartKey).toEqual({ pk: 'T#other#C#notes', sk: 'I#b' });
    expect(sent[0]?.input.ExpressionAttributeValues).toMatchObject({ ':pk': 'T#other#C#notes' });
  });

  it('ignores a tenant smuggled into a cursor', async () => {
    const smuggled = Buffer.from(
      JSON.stringify({ after: 'b', tenant: 'victim', pk: 'T#victim#C#notes' }),
    ).toString('base64url');
    const { store, sent } = storeWith([{ Items: [] }]);
    await store.list('acme', 'notes', { limit: 5, cursor: smuggled });
    expect(sent[0]?.input.ExclusiveStartKey).toEqual({ pk: 'T#acme#C#notes', sk: 'I#b' });
  });

  it.each([
    ['not base64 JSON', '!!!'],
    ['JSON null', Buffer.from('null').toString('base64url')],
    ['a number', Buffer.from('5').toString('base64url')],
    ['no after', Buffer.from('{"id":"b"}').toString('base64url')],
    ['a non-string after', Buffer.from('{"after":7}').toString('base64url')],
    ['an after that is no id', Buffer.from('{"after":"a#b"}').toString('base64url')],
    ['an empty after', Buffer.from('{"after":""}').toString('base64url')],
  ])('refuses a cursor that is %s with BadRequestError before querying', async (_, cursor) => {
    const { store, sent } = storeWith([]);
    await expect(store.list('acme', 'notes', { limit: 5, cursor })).rejects.toBeInstanceOf(
      BadRequestError,
    );
    expect(sent).toEqual([]);
  });

  it('fills a page across queries when the filter drops tombstones', async () => {
    const { store, sent } = storeWith([
      { Items: [record('a')], LastEvaluatedKey: { pk: 'T#acme#C#notes', sk: 'I#c' } },
      { Items: [record('d'), record('e')], LastEvaluatedKey: { pk: 'T#acme#C#notes', sk: 'I#e' } },
    ]);
    const page = await store.list('acme', 'notes', { limit: 3 });
    expect(page.items.map((i) => i.id)).toEqual(['a', 'd', 'e']);
    expect(page.cursor).toBe(cursorAfter('e'));
    expect(sent.map((s) => s.input.Limit)).toEqual([overFetch(3), overFetch(2)]);
    expect(sent[0]?.input).not.toHaveProperty('ExclusiveStartKey');
    expect(sent[1]?.input.ExclusiveStartKey).toEqual({ pk: 'T#acme#C#notes', sk: 'I#c' });
  });

  it('asks for more than the page shows, and ends a fuller answer at its last document', async () => {
    const { store, sent } = storeWith([
      {
        Items: ['a', 'b', 'c', 'd', 'e', 'f'].map((id) => record(id)),
        LastEvaluatedKey: { pk: 'T#acme#C#notes', sk: 'I#k' },
      },
    ]);
    const page = await store.list('acme', 'notes', { limit: 4 });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.input.Limit).toBe(overFetch(4));
    expect(page.items.map((i) => i.id)).toEqual(['a', 'b', 'c', 'd']);
    // Not the answer's last evaluated key: e and f come on the next page.
    expect(page.cursor).toBe(cursorAfter('d'));
    expect(overFetch(10)).toBe(17);
  });

  it('has no cursor on the last page', async () => {
    const { store, sent } = storeWith([
      { Items: [], LastEvaluatedKey: { pk: 'T#acme#C#notes', sk: 'I#b' } },
      { Items: [record('c')] },
    ]);
    const page = await store.list('acme', 'notes', { limit: 10 });
    expect(page).toEqual({
      items: [
        {
          id: 'c',
          version: 1,
          deleted: false,
          body: { name: 'c' },
          updatedAt: '2024-01-01T00:00:00.000Z',
        },
      ],
    });
    expect(sent).toHaveLength(2);
  });

  it('stops after four queries and hands back a cursor to continue', async () => {
    const empty = (sk: string) => ({ Items: [], LastEvaluatedKey: { pk: 'x', sk } });
    const { store, sent } = storeWith([empty('I#a'), empty('I#b'), empty('I#c'), empty('I#d')]);
    const page = await store.list('acme', 'notes', { limit: 10 });
    expect(page).toEqual({ items: [], cursor: cursorAfter('d') });
    expect(sent).toHaveLength(4);
  });
});

describe('DynamoItemStore reads and writes', () => {
  it('reads with a consistent GetItem and returns tombstones', async () => {
    const { store, sent } = storeWith([{ Item: record('a', 4, 'deleted') }]);
    const item = await store.get({ tenant: 'acme', collection: 'notes', id: 'a' });
    expect(sent[0]?.name).toBe(GetCommand.name);
    expect(sent[0]?.input.ConsistentRead).toBe(true);
    expect(item?.deleted).toBe(true);
    expect(item?.version).toBe(4);
  });

  it('reads a document alone with one GetItem when no idempotency key is involved', async () => {
    const { store, sent } = storeWith([{ Item: record('a', 2) }]);
    const snapshot = await store.snapshot({ tenant: 'acme', collection: 'notes', id: 'a' });
    expect(sent.map((s) => s.name)).toEqual([GetCommand.name]);
    expect(snapshot.item?.version).toBe(2);
    expect(snapshot).not.toHaveProperty('record');
  });

  it('reads a document and its idempotency record in one isolated TransactGetItems', async () => {
    const stored = { fingerprint: 'f', result: '{"kind":"released"}', expiresAt: 99 };
    const { store, sent } = storeWith([
      { Responses: [{ Item: record('a', 3) }, { Item: stored }] },
    ]);
    const snapshot = await store.snapshot(
      { tenant: 'acme', collection: 'notes', id: 'a' },
      { keyHash: 'h1' },
    );
    expect(sent.map((s) => s.name)).toEqual([TransactGetCommand.name]);
    expect(sent[0]?.input).toEqual({
      TransactItems: [
        { Get: { TableName: 'items', Key: { pk: 'T#acme#C#notes', sk: 'I#a' } } },
        { Get: { TableName: 'items', Key: { pk: 'T#acme#IK#h1', sk: 'IK' } } },
      ],
    });
    expect(snapshot).toEqual({
      item: expect.objectContaining({ id: 'a', version: 3 }),
      record: { keyHash: 'h1', fingerprint: 'f', result: { kind: 'released' }, expiresAt: 99 },
    });
  });

  it('has neither part when neither record exists', async () => {
    const { store } = storeWith([{ Responses: [{}, {}] }]);
    expect(
      await store.snapshot({ tenant: 'acme', collection: 'notes', id: 'a' }, { keyHash: 'h1' }),
    ).toEqual({});
  });
});
