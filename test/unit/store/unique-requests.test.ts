import { describe, expect, it } from 'vitest';
import { guardDelete, guardPut, ownerOf } from '../../../functions/store/unique-requests';

const TABLE = 'concord-test';
const GUARD = {
  key: { tenant: 'acme', collection: 'people', id: 'p1' },
  field: 'email',
  valueHash: 'ab'.repeat(32),
};
const CONDITION = {
  ConditionExpression: 'attribute_not_exists(#pk) OR #owner = :owner',
  ExpressionAttributeNames: { '#pk': 'pk', '#owner': 'owner' },
  ExpressionAttributeValues: { ':owner': 'p1' },
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
};

describe('unique-value guards', () => {
  it('claims a value unless another document holds it', () => {
    expect(guardPut(TABLE, { kind: 'unique-claim', ...GUARD })).toEqual({
      TableName: TABLE,
      Item: {
        pk: `T#acme#C#people#U#email#${'ab'.repeat(32)}`,
        sk: 'U',
        owner: 'p1',
        field: 'email',
      },
      ...CONDITION,
    });
  });

  it('releases a value unless another document holds it', () => {
    expect(guardDelete(TABLE, { kind: 'unique-release', ...GUARD })).toEqual({
      TableName: TABLE,
      Key: { pk: `T#acme#C#people#U#email#${'ab'.repeat(32)}`, sk: 'U' },
      ...CONDITION,
    });
  });

  it('keeps the value itself out of keys and expressions: only its hash is stored', () => {
    const put = guardPut(TABLE, { kind: 'unique-claim', ...GUARD });
    expect(JSON.stringify(put)).not.toContain('@');
    expect(String(put.Item?.pk).length).toBeLessThan(140);
  });

  it('reads the holder from a refused guard', () => {
    expect(ownerOf({ owner: 'p9', field: 'email' })).toBe('p9');
    expect(ownerOf(undefined)).toBeUndefined();
  });
});
