import { describe, expect, it } from 'vitest';
import {
  buildSubscriptionCreate,
  buildSubscriptionDelete,
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
const ITEM = {
  pk: 'T#acme#SUB',
  sk: `S#${SUBSCRIPTION.id}`,
  id: SUBSCRIPTION.id,
  url: SUBSCRIPTION.url,
  events: ['document.created'],
  collection: 'items',
  secret: 'whsec_s',
  createdAt: SUBSCRIPTION.createdAt,
};

describe('subscription requests', () => {
  it('counts a new subscription up to the limit, in one transaction with the subscription', () => {
    expect(buildSubscriptionCreate(TABLE, 'acme', SUBSCRIPTION, 25)).toEqual({
      TransactItems: [
        {
          Update: {
            TableName: TABLE,
            Key: { pk: 'T#acme#SUB', sk: 'COUNT' },
            UpdateExpression: 'SET #count = if_not_exists(#count, :zero) + :one',
            ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
            ExpressionAttributeNames: { '#count': 'count' },
            ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':limit': 25 },
          },
        },
        {
          Put: {
            TableName: TABLE,
            Item: ITEM,
            ConditionExpression: 'attribute_not_exists(#pk)',
            ExpressionAttributeNames: { '#pk': 'pk' },
          },
        },
      ],
    });
  });

  it("queries only the tenant's subscription records, not its count", () => {
    expect(buildSubscriptionQuery(TABLE, 'acme', { pk: 'T#acme#SUB', sk: 'S#1' })).toEqual({
      TableName: TABLE,
      KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
      ExpressionAttributeNames: { '#pk': 'pk', '#sk': 'sk' },
      ExpressionAttributeValues: { ':pk': 'T#acme#SUB', ':prefix': 'S#' },
      ExclusiveStartKey: { pk: 'T#acme#SUB', sk: 'S#1' },
    });
  });

  it('deletes only a subscription that exists, and counts it down in the same transaction', () => {
    expect(buildSubscriptionDelete(TABLE, 'acme', 'x')).toEqual({
      TransactItems: [
        {
          Delete: {
            TableName: TABLE,
            Key: { pk: 'T#acme#SUB', sk: 'S#x' },
            ConditionExpression: 'attribute_exists(#pk)',
            ExpressionAttributeNames: { '#pk': 'pk' },
          },
        },
        {
          Update: {
            TableName: TABLE,
            Key: { pk: 'T#acme#SUB', sk: 'COUNT' },
            UpdateExpression: 'SET #count = #count - :one',
            ConditionExpression: '#count > :zero',
            ExpressionAttributeNames: { '#count': 'count' },
            ExpressionAttributeValues: { ':zero': 0, ':one': 1 },
          },
        },
      ],
    });
  });

  it('reads a stored record back', () => {
    expect(toSubscription(ITEM)).toEqual(SUBSCRIPTION);
  });
});
