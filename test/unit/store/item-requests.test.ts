import { describe, expect, it } from 'vitest';
import type { ItemKey, JsonObject, WriteCondition } from '../../../functions/core/items-model';
import type { LeaseChange } from '../../../functions/core/write-plan';
import {
  buildGetItem,
  buildListItems,
  conditionExpression,
  documentUpdate,
  leaseUpdateOf,
} from '../../../functions/store/item-requests';

const TABLE = 'concord-test';
const NOW = '2024-05-06T07:08:09.000Z';
const KEY = { tenant: 'acme', collection: 'notes', id: 'n1' };
const ABSENT = '(attribute_not_exists(#state) OR #state = :deleted)';

const buildWrite = (
  key: ItemKey,
  body: JsonObject | null,
  condition: WriteCondition & { expectedVersion: number | null },
  lifecycle: { firstVersion?: number; expiresAt?: number } = {},
) => documentUpdate(TABLE, { kind: 'document', key, body, condition, at: NOW, ...lifecycle });

const write = (
  condition: WriteCondition & { expectedVersion: number | null },
  body: Record<string, never> | null = {},
) => buildWrite(KEY, body, condition);

describe('conditionExpression', () => {
  it('has no expression and no values when nothing is required', () => {
    expect(conditionExpression({})).toEqual({ values: {}, names: {} });
  });

  it('requires a live record for mustExist', () => {
    expect(conditionExpression({ mustExist: true })).toEqual({
      expression: '#state = :live',
      values: { ':live': 'live' },
      names: {},
    });
  });

  it('accepts a missing record or a tombstone for mustBeAbsent', () => {
    expect(conditionExpression({ mustBeAbsent: true })).toEqual({
      expression: ABSENT,
      values: { ':deleted': 'deleted' },
      names: {},
    });
  });

  it('lists every accepted version as its own placeholder for versionIn', () => {
    expect(conditionExpression({ versionIn: [3, 7, 12] })).toEqual({
      expression: '#version IN (:in0, :in1, :in2)',
      values: { ':in0': 3, ':in1': 7, ':in2': 12 },
      names: {},
    });
  });

  it('lets absent or deleted records through versionNotIn', () => {
    expect(conditionExpression({ versionNotIn: [4, 5] })).toEqual({
      expression: `(${ABSENT} OR NOT (#version IN (:out0, :out1)))`,
      values: { ':deleted': 'deleted', ':out0': 4, ':out1': 5 },
      names: {},
    });
  });

  it('keeps writes out of an unexpired lease held by someone else', () => {
    expect(conditionExpression({ lease: { now: 1_000 } })).toEqual({
      expression: '(attribute_not_exists(#leaseExpiresAt) OR #leaseExpiresAt <= :leaseNow)',
      values: { ':leaseNow': 1_000 },
      names: { '#leaseExpiresAt': 'leaseExpiresAt' },
    });
  });

  it('lets the holder write and refuses a stale fencing token', () => {
    const token = { fencing: 7, leaseId: 'a'.repeat(24) };
    expect(conditionExpression({ lease: { now: 1_000, token } })).toEqual({
      expression:
        '#fencing = :fencing AND (attribute_not_exists(#leaseExpiresAt) OR #leaseExpiresAt <= :leaseNow OR #leaseId = :leaseId)',
      values: { ':leaseNow': 1_000, ':fencing': 7, ':leaseId': 'a'.repeat(24) },
      names: { '#leaseId': 'leaseId', '#leaseExpiresAt': 'leaseExpiresAt', '#fencing': 'fencing' },
    });
  });

  it('lets absent or deleted records through If-Unmodified-Since, and live ones modified before it', () => {
    expect(conditionExpression({ modifiedBefore: '2024-01-01T00:00:01.000Z' })).toEqual({
      expression: `(${ABSENT} OR #updatedAt < :modifiedBefore)`,
      values: { ':deleted': 'deleted', ':modifiedBefore': '2024-01-01T00:00:01.000Z' },
      names: { '#updatedAt': 'updatedAt' },
    });
  });

  it('keeps a write that must both exist and be absent as the contradiction it is', () => {
    expect(conditionExpression({ mustExist: true, mustBeAbsent: true }).expression).toBe(
      `#state = :live AND ${ABSENT}`,
    );
  });

  it('joins every present part with AND in a fixed order', () => {
    expect(conditionExpression({ mustExist: true, versionIn: [2], versionNotIn: [9] })).toEqual({
      expression: `#state = :live AND #version IN (:in0) AND (${ABSENT} OR NOT (#version IN (:out0)))`,
      values: { ':live': 'live', ':deleted': 'deleted', ':in0': 2, ':out0': 9 },
      names: {},
    });
  });
});

describe('conditionExpression with a pinned version', () => {
  it('leaves out an If-Match list that names the pin, which the pin implies', () => {
    expect(conditionExpression({ versionIn: [4, 5], expectedVersion: 5 })).toEqual({
      expression: '#version = :expected',
      values: { ':expected': 5 },
      names: {},
    });
  });

  it('keeps an If-Match list that does not name the pin, so the write is refused', () => {
    expect(conditionExpression({ versionIn: [4], expectedVersion: 5 }).expression).toBe(
      '#version IN (:in0) AND #version = :expected',
    );
  });

  it('leaves out an If-None-Match list the pin is not in, and keeps one it is in', () => {
    expect(conditionExpression({ versionNotIn: [4], expectedVersion: 5 }).expression).toBe(
      '#version = :expected',
    );
    expect(conditionExpression({ versionNotIn: [5], expectedVersion: 5 }).expression).toBe(
      `(${ABSENT} OR NOT (#version IN (:out0))) AND #version = :expected`,
    );
  });

  it('keeps both lists for a create, which pins no version', () => {
    expect(
      conditionExpression({ versionIn: [4], versionNotIn: [5], expectedVersion: null }).expression,
    ).toBe(
      `#version IN (:in0) AND (${ABSENT} OR NOT (#version IN (:out0))) AND attribute_not_exists(#version)`,
    );
  });
});

describe('documentUpdate', () => {
  it('writes the pinned version plus one, conditioned on the pin If-Match names', () => {
    const input = buildWrite(
      KEY,
      { title: 'hi', n: 1 },
      { mustExist: true, versionIn: [1, 2], expectedVersion: 2 },
    );
    expect(input).toEqual({
      TableName: TABLE,
      Key: { pk: 'T#acme#C#notes', sk: 'I#n1' },
      // A live document never carries a TTL, even over a tombstone that had one.
      UpdateExpression:
        'SET #id = :id, #state = :state, #version = :version, #updatedAt = :now, #body = :body REMOVE #expiresAt',
      ConditionExpression: '#state = :live AND #version = :expected',
      ExpressionAttributeNames: {
        '#version': 'version',
        '#state': 'state',
        '#id': 'id',
        '#updatedAt': 'updatedAt',
        '#body': 'body',
        '#expiresAt': 'expiresAt',
      },
      ExpressionAttributeValues: {
        ':live': 'live',
        ':expected': 2,
        ':id': 'n1',
        ':state': 'live',
        ':version': 3,
        ':now': NOW,
        ':body': '{"title":"hi","n":1}',
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('creates version 1 only where no record ever was', () => {
    const input = write({ mustBeAbsent: true, expectedVersion: null });
    expect(input.ConditionExpression).toBe(`${ABSENT} AND attribute_not_exists(#version)`);
    expect(input.ExpressionAttributeValues?.[':version']).toBe(1);
    expect(input.ExpressionAttributeValues).not.toHaveProperty(':live');
  });

  it('re-creates over a tombstone by pinning its version', () => {
    const input = write({ mustBeAbsent: true, expectedVersion: 6 });
    expect(input.ConditionExpression).toBe(`${ABSENT} AND #version = :expected`);
    expect(input.ExpressionAttributeValues).toMatchObject({ ':expected': 6, ':version': 7 });
  });

  it('pins even an unconditional upsert to the version it read', () => {
    const input = write({ expectedVersion: 4 });
    expect(input.ConditionExpression).toBe('#version = :expected');
    expect(Object.keys(input.ExpressionAttributeValues ?? {}).sort()).toEqual(
      [':body', ':expected', ':id', ':now', ':state', ':version'].sort(),
    );
  });

  it('refuses to build a write that pins nothing', () => {
    expect(() =>
      documentUpdate(TABLE, {
        kind: 'document',
        key: KEY,
        body: {},
        condition: {} as never,
        at: NOW,
      }),
    ).toThrow(/pin/);
  });

  it('writes a tombstone that removes the body and the lease and keeps counting versions', () => {
    const input = write({ mustExist: true, versionIn: [4], expectedVersion: 4 }, null);
    expect(input.UpdateExpression).toBe(
      'SET #id = :id, #state = :state, #version = :version, #updatedAt = :now REMOVE #body, #leaseId, #leaseExpiresAt',
    );
    expect(input.ExpressionAttributeValues).toEqual({
      ':live': 'live',
      ':expected': 4,
      ':id': 'n1',
      ':state': 'deleted',
      ':version': 5,
      ':now': NOW,
    });
    expect(input.ExpressionAttributeNames?.['#body']).toBe('body');
  });

  it('writes an expiring tombstone with its TTL, and a first version where the part says', () => {
    const input = buildWrite(
      KEY,
      null,
      { mustExist: true, expectedVersion: 4 },
      { expiresAt: 1_800_000_000 },
    );
    expect(input.UpdateExpression).toBe(
      'SET #id = :id, #state = :state, #version = :version, #updatedAt = :now, #expiresAt = :expiresAt REMOVE #body, #leaseId, #leaseExpiresAt',
    );
    expect(input.ExpressionAttributeValues?.[':expiresAt']).toBe(1_800_000_000);
    expect(input.ExpressionAttributeNames?.['#expiresAt']).toBe('expiresAt');
    const created = buildWrite(
      KEY,
      { a: 1 },
      { expectedVersion: null },
      { firstVersion: 1_763_900_000_000 },
    );
    expect(created.ExpressionAttributeValues?.[':version']).toBe(1_763_900_000_000);
    expect(
      buildWrite(KEY, { a: 1 }, { expectedVersion: 7 }, { firstVersion: 5 })
        .ExpressionAttributeValues?.[':version'],
    ).toBe(8);
  });

  it('asks for the old item on a failed condition', () => {
    for (const condition of [
      { expectedVersion: null },
      { mustExist: true, expectedVersion: 1 },
      { mustBeAbsent: true, expectedVersion: null },
    ]) {
      expect(write(condition).ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    }
  });

  it('keeps user data out of expression text', () => {
    const hostile = {
      tenant: "t' OR #state = :live --",
      collection: 'c)#x',
      id: `a"b'c) OR attribute_exists(#id`,
    };
    const body = { "it's": 'x) OR (y', ':live': '#state' };
    const input = buildWrite(hostile, body, {
      mustExist: true,
      versionIn: [1],
      versionNotIn: [2],
      expectedVersion: 1,
    });
    const text = `${input.UpdateExpression} ${input.ConditionExpression}`;
    for (const part of [hostile.tenant, hostile.collection, hostile.id, "it's", 'x) OR (y']) {
      expect(text).not.toContain(part);
    }
    expect(Object.values(input.ExpressionAttributeNames ?? {}).sort()).toEqual(
      ['body', 'expiresAt', 'id', 'state', 'updatedAt', 'version'].sort(),
    );
    expect(input.ExpressionAttributeValues?.[':id']).toBe(hostile.id);
    expect(input.ExpressionAttributeValues?.[':body']).toBe(JSON.stringify(body));
    expect(input.Key).toEqual({
      pk: `T#${hostile.tenant}#C#${hostile.collection}`,
      sk: `I#${hostile.id}`,
    });
  });
});

describe('leaseUpdateOf', () => {
  const lease = (change: LeaseChange) => leaseUpdateOf(TABLE, { kind: 'lease', key: KEY, change });
  const NAMES = {
    '#state': 'state',
    '#leaseId': 'leaseId',
    '#leaseExpiresAt': 'leaseExpiresAt',
    '#fencing': 'fencing',
  };
  const token = { fencing: 3, leaseId: 'L'.repeat(24) };

  it('acquires a free lease on a live document, counting the fencing token on', () => {
    expect(lease({ op: 'acquire', leaseId: 'L1', expiresAt: 2_000, now: 1_000 })).toEqual({
      TableName: TABLE,
      Key: { pk: 'T#acme#C#notes', sk: 'I#n1' },
      UpdateExpression:
        'SET #leaseId = :leaseId, #leaseExpiresAt = :expiresAt, #fencing = if_not_exists(#fencing, :zero) + :one',
      ConditionExpression:
        '#state = :live AND (attribute_not_exists(#leaseExpiresAt) OR #leaseExpiresAt <= :now)',
      ExpressionAttributeNames: NAMES,
      ExpressionAttributeValues: {
        ':live': 'live',
        ':leaseId': 'L1',
        ':expiresAt': 2_000,
        ':now': 1_000,
        ':zero': 0,
        ':one': 1,
      },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('pins an acquisition to the token it takes, so a transaction knows it in advance', () => {
    const first = lease({ op: 'acquire', leaseId: 'L1', expiresAt: 2_000, now: 1_000, fencing: 1 });
    expect(first.UpdateExpression).toBe(
      'SET #leaseId = :leaseId, #leaseExpiresAt = :expiresAt, #fencing = :fencing',
    );
    expect(first.ConditionExpression).toBe(
      '#state = :live AND (attribute_not_exists(#leaseExpiresAt) OR #leaseExpiresAt <= :now) AND attribute_not_exists(#fencing)',
    );
    expect(first.ExpressionAttributeValues).toMatchObject({ ':fencing': 1 });
    const later = lease({ op: 'acquire', leaseId: 'L1', expiresAt: 2_000, now: 1_000, fencing: 5 });
    expect(later.ConditionExpression).toMatch(/ AND #fencing = :previous$/);
    expect(later.ExpressionAttributeValues).toMatchObject({ ':fencing': 5, ':previous': 4 });
  });

  it('renews only the lease the token names, and only while it lasts; releases it even expired', () => {
    const renew = lease({ op: 'renew', token, expiresAt: 9_000, now: 5_000 });
    expect(renew.UpdateExpression).toBe('SET #leaseExpiresAt = :expiresAt');
    expect(renew.ConditionExpression).toBe(
      '#state = :live AND #leaseId = :leaseId AND #fencing = :fencing AND #leaseExpiresAt > :now',
    );
    expect(renew.ExpressionAttributeValues).toEqual({
      ':live': 'live',
      ':leaseId': token.leaseId,
      ':fencing': 3,
      ':expiresAt': 9_000,
      ':now': 5_000,
    });
    const release = lease({ op: 'release', token });
    expect(release.UpdateExpression).toBe('REMOVE #leaseId, #leaseExpiresAt');
    expect(release.ConditionExpression).toBe(
      '#state = :live AND #leaseId = :leaseId AND #fencing = :fencing',
    );
    expect(release.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
  });
});

describe('buildGetItem', () => {
  it('reads one item with a strongly consistent read', () => {
    expect(buildGetItem(TABLE, KEY)).toEqual({
      TableName: TABLE,
      Key: { pk: 'T#acme#C#notes', sk: 'I#n1' },
      ConsistentRead: true,
    });
  });
});

describe('buildListItems', () => {
  it('queries the collection partition for live items with a limit', () => {
    expect(buildListItems(TABLE, 'acme', 'notes', 25)).toEqual({
      TableName: TABLE,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      FilterExpression: '#state = :live',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk', '#state': 'state' },
      ExpressionAttributeValues: { ':pk': 'T#acme#C#notes', ':prefix': 'I#', ':live': 'live' },
      Limit: 25,
      ConsistentRead: true,
    });
  });

  it('starts after the given id inside the requesting tenant and collection', () => {
    const input = buildListItems(TABLE, 'acme', 'notes', 10, 'n9');
    expect(input.ExclusiveStartKey).toEqual({ pk: 'T#acme#C#notes', sk: 'I#n9' });
    expect(buildListItems(TABLE, 'other', 'tasks', 10, 'n9').ExclusiveStartKey).toEqual({
      pk: 'T#other#C#tasks',
      sk: 'I#n9',
    });
  });

  it('has no ExclusiveStartKey on the first page', () => {
    expect(buildListItems(TABLE, 'acme', 'notes', 10)).not.toHaveProperty('ExclusiveStartKey');
  });
});
