/**
 * Pure builders of the DynamoDB requests for documents. Sending is a thin
 * separate step (dynamo-item-store.ts), so the exact expressions are unit
 * tested without AWS. Attribute names always go through placeholders and
 * user data only ever appears as expression values.
 */
import type {
  GetCommandInput,
  QueryCommandInput,
  TransactWriteCommandInput,
  UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { IdempotencyRecord } from '../core/idempotency';
import type { ItemKey, JsonObject, LockToken, WriteCondition } from '../core/items-model';
import {
  collectionPartition,
  IDEMPOTENCY_SORT_KEY,
  ITEM_SORT_PREFIX,
  idempotencyPartition,
  itemSortKey,
  TABLE_KEYS,
} from './keys';

/** Attributes of a document record besides the keys. */
export const ITEM_ATTRIBUTES = {
  id: 'id',
  version: 'version',
  state: 'state',
  /** The document as JSON text: exact round trips, no DynamoDB number range limits. */
  body: 'body',
  updatedAt: 'updatedAt',
  leaseId: 'leaseId',
  /** Epoch milliseconds. */
  leaseExpiresAt: 'leaseExpiresAt',
  /** Fencing token of the last lease taken; only grows. */
  fencing: 'fencing',
} as const;

const LEASE_NAMES = {
  '#leaseId': ITEM_ATTRIBUTES.leaseId,
  '#leaseExpiresAt': ITEM_ATTRIBUTES.leaseExpiresAt,
  '#fencing': ITEM_ATTRIBUTES.fencing,
} as const;

export const LIVE = 'live';
export const DELETED = 'deleted';

export const itemKey = (key: ItemKey) => ({
  [TABLE_KEYS.partitionKey]: collectionPartition(key.tenant, key.collection),
  [TABLE_KEYS.sortKey]: itemSortKey(key.id),
});

const NAMES = {
  '#version': ITEM_ATTRIBUTES.version,
  '#state': ITEM_ATTRIBUTES.state,
} as const;

/**
 * The condition expression of a {@link WriteCondition}, built from small
 * named fragments. A tombstone counts as absent, so re-creating a deleted id
 * continues its version count (no ABA on old ETags).
 */
export const conditionExpression = (
  condition: WriteCondition,
): { expression?: string; values: Record<string, unknown>; names: Record<string, string> } => {
  const names: Record<string, string> = {};
  const live = '#state = :live';
  const absent = '(attribute_not_exists(#state) OR #state = :deleted)';
  const parts: string[] = [];
  const values: Record<string, unknown> = {};
  const list = (prefix: string, versions: readonly number[]): string =>
    versions
      .map((version, index) => {
        values[`:${prefix}${index}`] = version;
        return `:${prefix}${index}`;
      })
      .join(', ');
  if (condition.mustExist) parts.push(live);
  if (condition.mustBeAbsent) parts.push(absent);
  if (condition.versionIn) parts.push(`#version IN (${list('in', condition.versionIn)})`);
  if (condition.versionNotIn) {
    parts.push(`(${absent} OR NOT (#version IN (${list('out', condition.versionNotIn)})))`);
  }
  if (condition.modifiedBefore !== undefined) {
    // If-Unmodified-Since: ISO times of one format compare as strings.
    parts.push(`(${absent} OR #updatedAt < :modifiedBefore)`);
    values[':modifiedBefore'] = condition.modifiedBefore;
    names['#updatedAt'] = ITEM_ATTRIBUTES.updatedAt;
  }
  if (condition.expectedVersion === null) parts.push('attribute_not_exists(#version)');
  else if (condition.expectedVersion !== undefined) {
    parts.push('#version = :expected');
    values[':expected'] = condition.expectedVersion;
  }
  if (condition.lease) {
    // Nobody else holds an unexpired lease; a presented token must be the current lease's.
    const free = 'attribute_not_exists(#leaseExpiresAt) OR #leaseExpiresAt <= :leaseNow';
    const { token } = condition.lease;
    parts.push(token ? `#fencing = :fencing AND (${free} OR #leaseId = :leaseId)` : `(${free})`);
    values[':leaseNow'] = condition.lease.now;
    if (token) {
      values[':fencing'] = token.fencing;
      values[':leaseId'] = token.leaseId;
    }
    Object.assign(
      names,
      token ? LEASE_NAMES : { '#leaseExpiresAt': LEASE_NAMES['#leaseExpiresAt'] },
    );
  }
  if (parts.length === 0) return { values, names };
  const expression = parts.join(' AND ');
  if (expression.includes(':live')) values[':live'] = LIVE;
  if (expression.includes(':deleted')) values[':deleted'] = DELETED;
  return { expression, values, names };
};

/**
 * One UpdateItem that writes the next version of a document (or its
 * tombstone when `body` is null) if `condition` holds. ALL_OLD on success
 * tells whether it existed; ALL_OLD on failure carries the current state, so
 * a conflict answer needs no second read.
 */
export const buildWriteItem = (
  tableName: string,
  key: ItemKey,
  body: JsonObject | null,
  condition: WriteCondition,
  now: string,
): UpdateCommandInput => {
  const { expression, values, names } = conditionExpression(condition);
  const set = [
    '#id = :id',
    '#state = :state',
    '#version = if_not_exists(#version, :zero) + :one',
    '#updatedAt = :now',
  ];
  if (body) set.push('#body = :body');
  return {
    TableName: tableName,
    Key: itemKey(key),
    // A tombstone ends any lease; the fencing token stays, so it keeps growing.
    UpdateExpression: `SET ${set.join(', ')}${body ? '' : ' REMOVE #body, #leaseId, #leaseExpiresAt'}`,
    ...(expression ? { ConditionExpression: expression } : {}),
    ExpressionAttributeNames: {
      ...NAMES,
      ...names,
      ...(body
        ? {}
        : {
            '#leaseId': LEASE_NAMES['#leaseId'],
            '#leaseExpiresAt': LEASE_NAMES['#leaseExpiresAt'],
          }),
      '#id': ITEM_ATTRIBUTES.id,
      '#updatedAt': ITEM_ATTRIBUTES.updatedAt,
      '#body': ITEM_ATTRIBUTES.body,
    },
    ExpressionAttributeValues: {
      ...values,
      ':id': key.id,
      ':state': body ? LIVE : DELETED,
      ':zero': 0,
      ':one': 1,
      ':now': now,
      ...(body ? { ':body': JSON.stringify(body) } : {}),
    },
    ReturnValues: 'ALL_OLD',
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
};

const leaseUpdate = (
  tableName: string,
  key: ItemKey,
  update: string,
  condition: string,
  values: Record<string, unknown>,
  names: Record<string, string>,
): UpdateCommandInput => ({
  TableName: tableName,
  Key: itemKey(key),
  UpdateExpression: update,
  ConditionExpression: `#state = :live AND ${condition}`,
  ExpressionAttributeNames: { '#state': ITEM_ATTRIBUTES.state, ...names },
  ExpressionAttributeValues: { ':live': LIVE, ...values },
  ReturnValues: 'ALL_NEW',
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
});

/** Takes a lease on a live document nobody holds; the fencing token grows by one. */
export const buildAcquireLease = (
  tableName: string,
  key: ItemKey,
  leaseId: string,
  expiresAt: number,
  now: number,
): UpdateCommandInput =>
  leaseUpdate(
    tableName,
    key,
    'SET #leaseId = :leaseId, #leaseExpiresAt = :expiresAt, #fencing = if_not_exists(#fencing, :zero) + :one',
    '(attribute_not_exists(#leaseExpiresAt) OR #leaseExpiresAt <= :now)',
    { ':leaseId': leaseId, ':expiresAt': expiresAt, ':now': now, ':zero': 0, ':one': 1 },
    { ...LEASE_NAMES },
  );

/** Extends the lease a token names while it lasts: an expired lease is over, taken or not. */
export const buildRenewLease = (
  tableName: string,
  key: ItemKey,
  token: LockToken,
  expiresAt: number,
  now: number,
): UpdateCommandInput =>
  leaseUpdate(
    tableName,
    key,
    'SET #leaseExpiresAt = :expiresAt',
    '#leaseId = :leaseId AND #fencing = :fencing AND #leaseExpiresAt > :now',
    { ':leaseId': token.leaseId, ':fencing': token.fencing, ':expiresAt': expiresAt, ':now': now },
    { ...LEASE_NAMES },
  );

/** Ends the lease a token names; the fencing token stays. */
export const buildReleaseLease = (
  tableName: string,
  key: ItemKey,
  token: LockToken,
): UpdateCommandInput =>
  leaseUpdate(
    tableName,
    key,
    'REMOVE #leaseId, #leaseExpiresAt',
    '#leaseId = :leaseId AND #fencing = :fencing',
    { ':leaseId': token.leaseId, ':fencing': token.fencing },
    { ...LEASE_NAMES },
  );

/**
 * The write of {@link buildWriteItem} and the record of its result, as one
 * transaction. The record may replace only an expired one.
 */
export const buildIdempotentWrite = (
  tableName: string,
  key: ItemKey,
  body: JsonObject | null,
  condition: WriteCondition,
  record: IdempotencyRecord,
  now: Date,
): TransactWriteCommandInput => {
  const { ReturnValues: _unused, ...update } = buildWriteItem(
    tableName,
    key,
    body,
    condition,
    now.toISOString(),
  );
  return {
    TransactItems: [
      { Update: { ...update, UpdateExpression: update.UpdateExpression ?? '' } },
      {
        Put: {
          TableName: tableName,
          Item: {
            ...idempotencyKey(key.tenant, record.keyHash),
            [IDEMPOTENCY_ATTRIBUTES.fingerprint]: record.fingerprint,
            [IDEMPOTENCY_ATTRIBUTES.result]: JSON.stringify(record.result),
            [TABLE_KEYS.ttlAttribute]: record.expiresAt,
          },
          ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now',
          ExpressionAttributeNames: {
            '#pk': TABLE_KEYS.partitionKey,
            '#expiresAt': TABLE_KEYS.ttlAttribute,
          },
          ExpressionAttributeValues: { ':now': Math.floor(now.getTime() / 1000) },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        },
      },
    ],
  };
};

export const IDEMPOTENCY_ATTRIBUTES = { fingerprint: 'fingerprint', result: 'result' } as const;

export const idempotencyKey = (tenant: string, keyHash: string) => ({
  [TABLE_KEYS.partitionKey]: idempotencyPartition(tenant, keyHash),
  [TABLE_KEYS.sortKey]: IDEMPOTENCY_SORT_KEY,
});

export const buildGetIdempotency = (
  tableName: string,
  tenant: string,
  keyHash: string,
): GetCommandInput => ({
  TableName: tableName,
  Key: idempotencyKey(tenant, keyHash),
  ConsistentRead: true,
});

/** Strongly consistent read: a client that just wrote must read its own write. */
export const buildGetItem = (tableName: string, key: ItemKey): GetCommandInput => ({
  TableName: tableName,
  Key: itemKey(key),
  ConsistentRead: true,
});

/** One page of a collection partition; tombstones are filtered out. */
export const buildListItems = (
  tableName: string,
  tenant: string,
  collection: string,
  limit: number,
  afterId?: string,
): QueryCommandInput => ({
  TableName: tableName,
  KeyConditionExpression: '#pk = :pk AND begins_with(#sk, :prefix)',
  FilterExpression: '#state = :live',
  ExpressionAttributeNames: {
    '#pk': TABLE_KEYS.partitionKey,
    '#sk': TABLE_KEYS.sortKey,
    '#state': ITEM_ATTRIBUTES.state,
  },
  ExpressionAttributeValues: {
    ':pk': collectionPartition(tenant, collection),
    ':prefix': ITEM_SORT_PREFIX,
    ':live': LIVE,
  },
  Limit: limit,
  ConsistentRead: true,
  ...(afterId !== undefined
    ? { ExclusiveStartKey: itemKey({ tenant, collection, id: afterId }) }
    : {}),
});
