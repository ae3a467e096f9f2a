import { describe, expect, it } from 'vitest';
import type { WriteCondition } from '../../../functions/core/items-model';
import {
  buildGetItem,
  buildListItems,
  buildRenewLease,
  buildWriteItem,
  conditionExpression,
} from '../../../functions/store/item-requests';

const TABLE = 'concord-test';
const NOW = '2024-05-06T07:08:09.000Z';
const KEY = { tenant: 'acme', collection: 'notes', id: 'n1' };
const ABSENT = '(attribute_not_exists(#state) OR #state = :deleted)';

const write = (condition: WriteCondition, body: Record<string, never> | null = {}) =>
  buildWriteItem(TABLE, KEY, body, condition, NOW);

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

describe('buildWriteItem', () => {
  it('writes the next version of a live document conditioned on If-Match versions', () => {
    const input = buildWriteItem(
      TABLE,
      KEY,
      { title: 'hi', n: 1 },
      { mustExist: true, versionIn: [1, 2] },
      NOW,
    );
    expect(input).toEqual({
      TableName: TABLE,
      Key: { pk: 'T#acme#C#notes', sk: 'I#n1' },
      UpdateExpression:
        'SET #id = :id, #state = :state, #version = if_not_exists(#version, :zero) + :one, #updatedAt = :now, #body = :body',
      ConditionExpression: '#state = :live AND #version IN (:in0, :in1)',
      ExpressionAttributeNames: {
        '#version': 'version',
        '#state': 'state',
        '#id': 'id',
        '#updatedAt': 'updatedAt',
        '#body': 'body',
      },
      ExpressionAttributeValues: {
        ':live': 'live',
        ':in0': 1,
        ':in1': 2,
        ':id': 'n1',
        ':state': 'live',
        ':zero': 0,
        ':one': 1,
        ':now': NOW,
        ':body': '{"title":"hi","n":1}',
      },
      ReturnValues: 'ALL_OLD',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('creates only over a missing record or a tombstone when mustBeAbsent', () => {
    const input = write({ mustBeAbsent: true });
    expect(input.ConditionExpression).toBe(ABSENT);
    expect(input.ExpressionAttributeValues?.[':deleted']).toBe('deleted');
    expect(input.ExpressionAttributeValues).not.toHaveProperty(':live');
  });

  it('sends no ConditionExpression for an unconditional upsert', () => {
    const input = write({});
    expect(input).not.toHaveProperty('ConditionExpression');
    expect(Object.keys(input.ExpressionAttributeValues ?? {}).sort()).toEqual(
      [':body', ':id', ':now', ':one', ':state', ':zero'].sort(),
    );
  });

  it('writes a tombstone that removes the body and keeps counting versions', () => {
    const input = write({ mustExist: true, versionIn: [4] }, null);
    expect(input.UpdateExpression).toBe(
      'SET #id = :id, #state = :state, #version = if_not_exists(#version, :zero) + :one, #updatedAt = :now REMOVE #body, #leaseId, #leaseExpiresAt',
    );
    expect(input.ExpressionAttributeValues).toEqual({
      ':live': 'live',
      ':in0': 4,
      ':id': 'n1',
      ':state': 'deleted',
      ':zero': 0,
      ':one': 1,
      ':now': NOW,
    });
    expect(input.ExpressionAttributeNames?.['#body']).toBe('body');
  });

  it('asks for the old item both on success and on a failed condition', () => {
    for (const condition of [{}, { mustExist: true }, { mustBeAbsent: true }]) {
      const input = write(condition);
      expect(input.ReturnValues).toBe('ALL_OLD');
      expect(input.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
    }
  });

  it('keeps user data out of expression text', () => {
    const hostile = {
      tenant: "t' OR #state = :live --",
      collection: 'c)#x',
      id: `a"b'c) OR attribute_exists(#id`,
    };
    const body = { "it's": 'x) OR (y', ':live': '#state' };
    const input = buildWriteItem(
      TABLE,
      hostile,
      body,
      { mustExist: true, versionIn: [1], versionNotIn: [2] },
      NOW,
    );
    const text = `${input.UpdateExpression} ${input.ConditionExpression}`;
    for (const part of [hostile.tenant, hostile.collection, hostile.id, "it's", 'x) OR (y']) {
      expect(text).not.toContain(part);
    }
    expect(Object.values(input.ExpressionAttributeNames ?? {}).sort()).toEqual(
      ['body', 'id', 'state', 'updatedAt', 'version'].sort(),
    );
    expect(input.ExpressionAttributeValues?.[':id']).toBe(hostile.id);
    expect(input.ExpressionAttributeValues?.[':body']).toBe(JSON.stringify(body));
    expect(input.Key).toEqual({
      pk: `T#${hostile.tenant}#C#${hostile.collection}`,
      sk: `I#${hostile.id}`,
    });
  });
});

describe('buildRenewLease', () => {
  it('extends only the named lease, and only while it lasts', () => {
    const input = buildRenewLease(
      TABLE,
      KEY,
      { fencing: 4, leaseId: 'lease-abcdefghijkl' },
      9_000,
      5_000,
    );
    expect(input.ConditionExpression).toBe(
      '#state = :live AND #leaseId = :leaseId AND #fencing = :fencing AND #leaseExpiresAt > :now',
    );
    expect(input.ExpressionAttributeValues).toMatchObject({
      ':leaseId': 'lease-abcdefghijkl',
      ':fencing': 4,
      ':expiresAt': 9_000,
      ':now': 5_000,
    });
    expect(input.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
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
