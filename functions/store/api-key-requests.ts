/**
 * Pure builders of the API key requests. Admission is one UpdateItem whose
 * condition does authentication (the record exists and is not revoked) and
 * rate limiting (the count is below the quota) at once.
 */
import type { PutCommandInput, ScanCommandInput, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { ApiKeyRecord } from '../core/api-keys';
import { API_KEY_PARTITION_PREFIX, API_KEY_SORT_KEY, apiKeyPartition, TABLE_KEYS } from './keys';

export const KEY_ATTRIBUTES = {
  keyId: 'keyId',
  tenant: 'tenant',
  scopes: 'scopes',
  name: 'name',
  quota: 'quota',
  createdAt: 'createdAt',
  revokedAt: 'revokedAt',
  windowStart: 'windowStart',
  count: 'count',
} as const;

export const apiKeyKey = (hash: string) => ({
  [TABLE_KEYS.partitionKey]: apiKeyPartition(hash),
  [TABLE_KEYS.sortKey]: API_KEY_SORT_KEY,
});

const names = {
  '#pk': TABLE_KEYS.partitionKey,
  '#revokedAt': KEY_ATTRIBUTES.revokedAt,
  '#windowStart': KEY_ATTRIBUTES.windowStart,
  '#count': KEY_ATTRIBUTES.count,
  '#quota': KEY_ATTRIBUTES.quota,
};

const usable = 'attribute_exists(#pk) AND attribute_not_exists(#revokedAt)';

/** Counts a request in the current window while it is below the key's own quota. */
export const buildConsume = (
  tableName: string,
  hash: string,
  window: number,
): UpdateCommandInput => ({
  TableName: tableName,
  Key: apiKeyKey(hash),
  UpdateExpression: 'SET #count = #count + :one',
  ConditionExpression: `${usable} AND #windowStart = :window AND #count < #quota`,
  ExpressionAttributeNames: names,
  ExpressionAttributeValues: { ':one': 1, ':window': window },
  ReturnValues: 'ALL_NEW',
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
});

/** Opens a new window with this request counted; only one instance wins the reset. */
export const buildStartWindow = (
  tableName: string,
  hash: string,
  window: number,
): UpdateCommandInput => ({
  TableName: tableName,
  Key: apiKeyKey(hash),
  UpdateExpression: 'SET #windowStart = :window, #count = :one',
  ConditionExpression: `${usable} AND #windowStart < :window AND #quota >= :one`,
  ExpressionAttributeNames: names,
  ExpressionAttributeValues: { ':one': 1, ':window': window },
  ReturnValues: 'ALL_NEW',
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
});

export const buildCreateKey = (
  tableName: string,
  hash: string,
  record: ApiKeyRecord,
): PutCommandInput => ({
  TableName: tableName,
  Item: { ...apiKeyKey(hash), ...record },
  ConditionExpression: 'attribute_not_exists(#pk)',
  ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
});

/** Key listing is an operator's command, not an API path: a filtered scan is fine there. */
export const buildScanKeys = (
  tableName: string,
  startKey?: Record<string, unknown>,
): ScanCommandInput => ({
  TableName: tableName,
  FilterExpression: 'begins_with(#pk, :prefix) AND #sk = :sk',
  ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey, '#sk': TABLE_KEYS.sortKey },
  ExpressionAttributeValues: { ':prefix': API_KEY_PARTITION_PREFIX, ':sk': API_KEY_SORT_KEY },
  ...(startKey ? { ExclusiveStartKey: startKey } : {}),
});

export const buildRevoke = (
  tableName: string,
  hashKey: Record<string, unknown>,
  at: string,
): UpdateCommandInput => ({
  TableName: tableName,
  Key: hashKey,
  UpdateExpression: 'SET #revokedAt = if_not_exists(#revokedAt, :at)',
  ConditionExpression: 'attribute_exists(#pk)',
  ExpressionAttributeNames: {
    '#pk': TABLE_KEYS.partitionKey,
    '#revokedAt': KEY_ATTRIBUTES.revokedAt,
  },
  ExpressionAttributeValues: { ':at': at },
});
