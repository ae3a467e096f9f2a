import { describe, expect, it } from 'vitest';
import type { HistoryEntry } from '../../../functions/core/history';
import {
  buildListVersions,
  historyDelete,
  historyPut,
  toHistoryEntry,
} from '../../../functions/store/history-requests';
import { historySortKey, versionFromSortKey } from '../../../functions/store/keys';
import { buildSnapshot } from '../../../functions/store/plan-requests';

const TABLE = 'concord-test';
const KEY = { tenant: 'acme', collection: 'notes', id: 'n1' };
const ENTRY: HistoryEntry = {
  version: 12,
  operation: 'patch',
  time: '2024-05-06T07:08:09.000Z',
  keyId: '0123456789abcdef',
  deleted: false,
  body: { title: 'hi' },
  expiresAt: 1_722_000_000,
};

describe('history keys', () => {
  it('sorts versions as numbers by padding them to 15 digits', () => {
    expect(historySortKey(12)).toBe('V#000000000000012');
    expect(historySortKey(9) < historySortKey(10)).toBe(true);
    expect(versionFromSortKey(historySortKey(987_654_321))).toBe(987_654_321);
  });
});

describe('historyPut', () => {
  it("puts a version's entry in the document's history partition, never twice", () => {
    expect(historyPut(TABLE, { kind: 'history', key: KEY, entry: ENTRY })).toEqual({
      TableName: TABLE,
      Item: {
        pk: 'T#acme#C#notes#H#n1',
        sk: 'V#000000000000012',
        version: 12,
        operation: 'patch',
        time: '2024-05-06T07:08:09.000Z',
        keyId: '0123456789abcdef',
        deleted: false,
        body: '{"title":"hi"}',
        expiresAt: 1_722_000_000,
      },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': 'pk' },
    });
  });

  it('reads back what it wrote', () => {
    const { Item } = historyPut(TABLE, { kind: 'history', key: KEY, entry: ENTRY });
    expect(toHistoryEntry(Item ?? {})).toEqual(ENTRY);
    const { keyId: _none, ...anonymous } = ENTRY;
    const put = historyPut(TABLE, { kind: 'history', key: KEY, entry: anonymous });
    expect(put.Item).not.toHaveProperty('keyId');
    expect(toHistoryEntry(put.Item ?? {})).toEqual(anonymous);
  });
});

describe('historyDelete', () => {
  it('deletes the dropped version unconditionally', () => {
    expect(historyDelete(TABLE, { kind: 'history-drop', key: KEY, version: 2 })).toEqual({
      TableName: TABLE,
      Key: { pk: 'T#acme#C#notes#H#n1', sk: 'V#000000000000002' },
    });
  });
});

describe('buildListVersions', () => {
  it('queries strictly between two versions, newest first, skipping expired entries', () => {
    expect(
      buildListVersions(TABLE, KEY, { limit: 20, before: 31, after: 10, now: 1_700_000_000 }),
    ).toEqual({
      TableName: TABLE,
      KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :low AND :high',
      FilterExpression: '#expiresAt > :now',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', '#expiresAt': 'expiresAt' },
      ExpressionAttributeValues: {
        ':pk': 'T#acme#C#notes#H#n1',
        ':low': 'V#000000000000011',
        ':high': 'V#000000000000030',
        ':now': 1_700_000_000,
      },
      ScanIndexForward: false,
      Limit: 20,
      ConsistentRead: true,
    });
  });
});

describe('buildSnapshot', () => {
  it('reads the document alone with GetItem', () => {
    expect(buildSnapshot(TABLE, KEY)).toEqual({
      kind: 'get',
      input: { TableName: TABLE, Key: { pk: 'T#acme#C#notes', sk: 'I#n1' }, ConsistentRead: true },
    });
  });

  it('reads the document, a version and an idempotency record in one TransactGetItems', () => {
    expect(buildSnapshot(TABLE, KEY, { version: 3, keyHash: 'h' })).toEqual({
      kind: 'transaction',
      input: {
        TransactItems: [
          { Get: { TableName: TABLE, Key: { pk: 'T#acme#C#notes', sk: 'I#n1' } } },
          {
            Get: { TableName: TABLE, Key: { pk: 'T#acme#C#notes#H#n1', sk: 'V#000000000000003' } },
          },
          { Get: { TableName: TABLE, Key: { pk: 'T#acme#IK#h', sk: 'IK' } } },
        ],
      },
    });
  });
});
