/**
 * Pure builders of the API key requests. Every admission write is one
 * UpdateItem whose condition does authentication (the record exists and is
 * not revoked) and rate limiting (GCRA) at once, and returns the record.
 */
import type { PutCommandInput, ScanCommandInput, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { ApiKeyRecord, BlockClaim } from '../core/api-keys';
import { API_KEY_PARTITION_PREFIX, API_KEY_SORT_KEY, apiKeyPartition, TABLE_KEYS } from './keys';

export const KEY_ATTRIBUTES = {
  keyId: 'keyId',
  tenant: 'tenant',
  scopes: 'scopes',
  name: 'name',
  quota: 'quota',
  createdAt: 'createdAt',
  revokedAt: 'revokedAt',
  windowSeconds: 'windowSeconds',
  intervalMs: 'intervalMs',
  intervalLessToleranceMs: 'intervalLessToleranceMs',
  tat: 'tat',
  allowAt: 'allowAt',
} as const;

export const apiKeyKey = (hash: string) => ({
  [TABLE_KEYS.partitionKey]: apiKeyPartition(hash),
  [TABLE_KEYS.sortKey]: API_KEY_SORT_KEY,
});

const usable = 'attribute_exists(#pk) AND attribute_not_exists(#revokedAt)';

const admission = (
  tableName: string,
  hash: string,
  values: Record<string, number>,
  update: string,
  condition: string,
  names: Record<string, string>,
): UpdateCommandInput => ({
  TableName: tableName,
  Key: apiKeyKey(hash),
  UpdateExpression: update,
  ConditionExpression: `${usable} AND ${condition}`,
  ExpressionAttributeNames: {
    '#pk': TABLE_KEYS.partitionKey,
    '#revokedAt': KEY_ATTRIBUTES.revokedAt,
    '#tat': KEY_ATTRIBUTES.tat,
    '#interval': KEY_ATTRIBUTES.intervalMs,
    ...names,
  },
  ExpressionAttributeValues: values,
  ReturnValues: 'ALL_NEW',
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
});

/** An idle key (its theoretical arrival time has passed) restarts from now. */
export const buildAdmitIdle = (tableName: string, hash: string, now: number): UpdateCommandInput =>
  admission(
    tableName,
    hash,
    { ':now': now },
    'SET #tat = :now + #interval, #allowAt = :now + #slack',
    '#tat <= :now',
    { '#allowAt': KEY_ATTRIBUTES.allowAt, '#slack': KEY_ATTRIBUTES.intervalLessToleranceMs },
  );

/** A busy key is admitted while its burst tolerance lasts; both times move one interval on. */
export const buildAdmitBusy = (tableName: string, hash: string, now: number): UpdateCommandInput =>
  admission(
    tableName,
    hash,
    { ':now': now },
    'SET #tat = #tat + #interval, #allowAt = #allowAt + #interval',
    '#tat > :now AND #allowAt <= :now',
    { '#allowAt': KEY_ATTRIBUTES.allowAt },
  );

/** A claim is refused if the key's rate differs from the one the caller computed the block with. */
const sameRate = '#interval = :interval AND #slack = :slack';

const rateValues = (claim: BlockClaim) => ({
  ':now': claim.now,
  ':span': claim.spanMs,
  ':allowAt': claim.allowAt,
  ':interval': claim.intervalMs,
  ':slack': claim.intervalLessToleranceMs,
});

/**
 * A block of n tokens from the side of GCRA's max(tat, now) the caller saw:
 * an idle key restarts from now; a busy key moves on n intervals, if it has
 * n tokens now (`allowAt <= now - (n - 1) × interval`, precomputed).
 */
export const buildClaimBlock = (
  tableName: string,
  hash: string,
  claim: BlockClaim,
): UpdateCommandInput =>
  claim.side === 'idle'
    ? admission(
        tableName,
        hash,
        rateValues(claim),
        'SET #tat = :now + :span, #allowAt = :allowAt',
        `#tat <= :now AND ${sameRate}`,
        { '#allowAt': KEY_ATTRIBUTES.allowAt, '#slack': KEY_ATTRIBUTES.intervalLessToleranceMs },
      )
    : admission(
        tableName,
        hash,
        rateValues(claim),
        'SET #tat = #tat + :span, #allowAt = #allowAt + :span',
        `#tat > :now AND #allowAt <= :allowAt AND ${sameRate}`,
        { '#allowAt': KEY_ATTRIBUTES.allowAt, '#slack': KEY_ATTRIBUTES.intervalLessToleranceMs },
      );

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
