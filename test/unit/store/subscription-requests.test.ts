import { describe, expect, it } from 'vitest';
import {
  buildSubscriptionDelete,
  buildSubscriptionPut,
  buildSubscriptionQuery,
  toSubscription,
} from '../../../functions/store/subscription-requests';

const TABLE = 'concord-test';
const SUBSCRIPTION = {
  id: '01JAAAAAAAAAAAAAAAAAAAAAAA',
  url: 'https://hooks.example.com/x',
  events: ['document.created' as const],
  collection: 'items',
  createdAt: '2026-01-01T00:00:00.000Z',
  secret: 'whsec_s',
};

describe('subscription requests', () => {
  it('puts a subscription in the tenant partition, never over an existing one', () => {
    expect(buildSubscriptionPut(TABLE, 'acme', SUBSCRIPTION)).toEqual({
      TableName: TABLE,
      Item: {
        pk: 'T#acme#SUB',
        sk: `S#${SUBSCRIPTION.id}`,
        id: SUBSCRIPTION.id,
        url: SUBSCRIPTION.url,
        events: ['document.created'],
        collection: 'items',
        secret: 'whsec_s',
        createdAt: SUBSCRIPTION.createdAt,
      },
      ConditionExpression: 'attribute_not_exists(#pk)',
      ExpressionAttributeNames: { '#pk': 'pk' },
    });
  });

  it("queries only the tenant's subscription records", () => {
    expect(buildSubscriptionQuery(TABLE, 'acme', { pk: 'T#acme#SUB', sk: 'S#1' })).toEqual({
      TableName: TABLE,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: { ':pk': 'T#acme#SUB', ':prefix': 'S#' },
      ExclusiveStartKey: { pk: 'T#acme#SUB', sk: 'S#1' },
    });
  });

  it('deletes only a subscription that exists, so a missing one is told apart', () => {
    expect(buildSubscriptionDelete(TABLE, 'acme', 'x')).toEqual({
      TableName: TABLE,
      Key: { pk: 'T#acme#SUB', sk: 'S#x' },
      ConditionExpression: 'attribute_exists(#pk)',
      ExpressionAttributeNames: { '#pk': 'pk' },
    });
  });

  it('reads a stored record back', () => {
    const { Item } = buildSubscriptionPut(TABLE, 'acme', SUBSCRIPTION);
    expect(toSubscription(Item ?? {})).toEqual(SUBSCRIPTION);
  });
});
