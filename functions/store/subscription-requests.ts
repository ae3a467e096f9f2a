/**
 * Pure builders of the subscription requests. One partition per tenant
 * holds its subscriptions, so delivery finds a tenant's subscribers with one
 * Query, and a function that only delivers can be limited to these
 * partitions by IAM.
 */
import type { DeleteCommandInput, PutCommandInput, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type { StoredSubscription } from '../core/subscriptions';
import type { EventType } from '../core/webhook-events';
import {
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

export const subscriptionKey = (tenant: string, id: string) => ({
  [TABLE_KEYS.partitionKey]: subscriptionPartition(tenant),
  [TABLE_KEYS.sortKey]: subscriptionSortKey(id),
});

/** A new subscription; ids are fresh ULIDs, the condition only guards against reuse. */
export const buildSubscriptionPut = (
  tableName: string,
  tenant: string,
  subscription: StoredSubscription,
): PutCommandInput => ({
  TableName: tableName,
  Item: {
    ...subscriptionKey(tenant, subscription.id),
    [A.id]: subscription.id,
    [A.url]: subscription.url,
    [A.events]: [...subscription.events],
    ...(subscription.collection !== undefined ? { [A.collection]: subscription.collection } : {}),
    [A.secret]: subscription.secret,
    [A.createdAt]: subscription.createdAt,
  },
  ConditionExpression: 'attribute_not_exists(#pk)',
  ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
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

/** Deletes a subscription that exists; a refusal means there was none. */
export const buildSubscriptionDelete = (
  tableName: string,
  tenant: string,
  id: string,
): DeleteCommandInput => ({
  TableName: tableName,
  Key: subscriptionKey(tenant, id),
  ConditionExpression: 'attribute_exists(#pk)',
  ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
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
