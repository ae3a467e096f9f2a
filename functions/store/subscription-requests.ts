/**
 * Pure builders of the subscription requests. One partition per tenant
 * holds its subscriptions, so delivery finds a tenant's subscribers with one
 * Query, and a function that only delivers can be limited to these
 * partitions by IAM.
 */
import type { QueryCommandInput, TransactWriteCommandInput } from '@aws-sdk/lib-dynamodb';
import type { StoredSubscription } from '../core/subscriptions';
import type { EventType } from '../core/webhook-events';
import {
  SUBSCRIPTION_COUNT_SORT_KEY,
  SUBSCRIPTION_SORT_PREFIX,
  subscriptionPartition,
  subscriptionSortKey,
  TABLE_KEYS,
} from './keys';

export const SUBSCRIPTION_ATTRIBUTES = {
  id: 'id',
  url: 'url',
  events: 'events',
  collection: 'collection',
  secret: 'secret',
  createdAt: 'createdAt',
} as const;

const A = SUBSCRIPTION_ATTRIBUTES;
/** The tenant's subscription count, on a record of its own in the same partition. */
export const SUBSCRIPTION_COUNT = 'count';

const countKey = (tenant: string) => ({
  [TABLE_KEYS.partitionKey]: subscriptionPartition(tenant),
  [TABLE_KEYS.sortKey]: SUBSCRIPTION_COUNT_SORT_KEY,
});

export const subscriptionKey = (tenant: string, id: string) => ({
  [TABLE_KEYS.partitionKey]: subscriptionPartition(tenant),
  [TABLE_KEYS.sortKey]: subscriptionSortKey(id),
});

/**
 * A new subscription, counted: the count goes up only while it is below the
 * limit, in the same transaction as the subscription itself, so concurrent
 * registrations cannot pass the limit together. Part 0 refused: the limit.
 */
export const buildSubscriptionCreate = (
  tableName: string,
  tenant: string,
  subscription: StoredSubscription,
  limit: number,
): TransactWriteCommandInput => ({
  TransactItems: [
    {
      Update: {
        TableName: tableName,
        Key: countKey(tenant),
        UpdateExpression: 'SET #count = if_not_exists(#count, :zero) + :one',
        ConditionExpression: 'attribute_not_exists(#count) OR #count < :limit',
        ExpressionAttributeNames: { '#count': SUBSCRIPTION_COUNT },
        ExpressionAttributeValues: { ':zero': 0, ':one': 1, ':limit': limit },
      },
    },
    {
      Put: {
        TableName: tableName,
        Item: {
          ...subscriptionKey(tenant, subscription.id),
          [A.id]: subscription.id,
          [A.url]: subscription.url,
          [A.events]: [...subscription.events],
          ...(subscription.collection !== undefined
            ? { [A.collection]: subscription.collection }
            : {}),
          [A.secret]: subscription.secret,
          [A.createdAt]: subscription.createdAt,
        },
        // Ids are fresh ULIDs: this only guards against ever reusing one.
        ConditionExpression: 'attribute_not_exists(#pk)',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
      },
    },
  ],
});

/** One page of a tenant's subscriptions, oldest first. */
export const buildSubscriptionQuery = (
  tableName: string,
  tenant: string,
  startKey?: Record<string, unknown>,
): QueryCommandInput => ({
  TableName: tableName,
  KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
  ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey, '#sk': TABLE_KEYS.sortKey },
  ExpressionAttributeValues: {
    ':pk': subscriptionPartition(tenant),
    ':prefix': SUBSCRIPTION_SORT_PREFIX,
  },
  ...(startKey ? { ExclusiveStartKey: startKey } : {}),
});

/** Deletes a subscription that exists and counts it down; part 0 refused: there was none. */
export const buildSubscriptionDelete = (
  tableName: string,
  tenant: string,
  id: string,
): TransactWriteCommandInput => ({
  TransactItems: [
    {
      Delete: {
        TableName: tableName,
        Key: subscriptionKey(tenant, id),
        ConditionExpression: 'attribute_exists(#pk)',
        ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
      },
    },
    {
      Update: {
        TableName: tableName,
        Key: countKey(tenant),
        UpdateExpression: 'SET #count = #count - :one',
        ConditionExpression: '#count > :zero',
        ExpressionAttributeNames: { '#count': SUBSCRIPTION_COUNT },
        ExpressionAttributeValues: { ':zero': 0, ':one': 1 },
      },
    },
  ],
});

export const toSubscription = (record: Record<string, unknown>): StoredSubscription => {
  const collection = record[A.collection];
  return {
    id: String(record[A.id]),
    url: String(record[A.url]),
    events: (record[A.events] as EventType[] | undefined) ?? [],
    ...(typeof collection === 'string' ? { collection } : {}),
    secret: String(record[A.secret]),
    createdAt: String(record[A.createdAt]),
  };
};
