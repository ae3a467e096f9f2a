/**
 * Pure builders of the DynamoDB requests for documents. Sending is a thin
 * separate step (dynamo-item-store.ts), so the exact expressions are unit
 * tested without AWS. Attribute names always go through placeholders and
 * user data only ever appears as expression values.
 */
import type { GetCommandInput, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { bodyText } from '../core/documents';
import type { ItemKey, WriteCondition } from '../core/items-model';
import { type DocumentPart, type LeasePart, writtenVersion } from '../core/write-plan';
import { collectionPartition, ITEM_SORT_PREFIX, itemSortKey, TABLE_KEYS } from './keys';
import type { UpdateAction } from './transact-items';

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
  // A pinned version that the If-Match list names (or the If-None-Match list
  // leaves out) already implies that list's fragment, which then only costs
  // DynamoDB time to evaluate: the refusal and its ALL_OLD record are the same.
  const pinned = condition.expectedVersion ?? undefined;
  const { versionIn, versionNotIn } = condition;
  if (condition.mustExist) parts.push(live);
  if (condition.mustBeAbsent) parts.push(absent);
  if (versionIn && !(pinned !== undefined && versionIn.includes(pinned))) {
    parts.push(`#version IN (${list('in', versionIn)})`);
  }
  if (versionNotIn && !(pinned !== undefined && !versionNotIn.includes(pinned))) {
    parts.push(`(${absent} OR NOT (#version IN (${list('out', versionNotIn)})))`);
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
 * The update that writes a document part: the version it pins plus one (or
 * its tombstone when `body` is null) if the condition holds. ALL_OLD on a
 * failed condition carries the current state, so a conflict answer needs no
 * second read.
 */
export const documentUpdate = (tableName: string, part: DocumentPart): UpdateAction => {
  const { key, body, condition, at } = part;
  const { expression, values, names } = conditionExpression(condition);
  if (!expression) throw new Error('a document write must pin the version it replaces');
  const set = ['#id = :id', '#state = :state', '#version = :version', '#updatedAt = :now'];
  if (body) set.push('#body = :body');
  // A tombstone that expires carries its TTL; a document written over it must
  // not, whatever the collection's setting is now.
  const expires = !body && part.expiresAt !== undefined;
  if (expires) set.push('#expiresAt = :expiresAt');
  const remove = body ? ['#expiresAt'] : ['#body', '#leaseId', '#leaseExpiresAt'];
  return {
    TableName: tableName,
    Key: itemKey(key),
    // A tombstone ends any lease; the fencing token stays, so it keeps growing.
    UpdateExpression: `SET ${set.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
    ConditionExpression: expression,
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
      ...(body || expires ? { '#expiresAt': TABLE_KEYS.ttlAttribute } : {}),
    },
    ExpressionAttributeValues: {
      ...values,
      ':id': key.id,
      ':state': body ? LIVE : DELETED,
      ':version': writtenVersion(part),
      ':now': at,
      ...(expires ? { ':expiresAt': part.expiresAt } : {}),
      ...(body ? { ':body': bodyText(body) } : {}),
    },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
};

const leaseUpdate = (
  tableName: string,
  key: ItemKey,
  update: string,
  condition: string,
  values: Record<string, unknown>,
): UpdateAction => ({
  TableName: tableName,
  Key: itemKey(key),
  UpdateExpression: update,
  ConditionExpression: `#state = :live AND ${condition}`,
  ExpressionAttributeNames: { '#state': ITEM_ATTRIBUTES.state, ...LEASE_NAMES },
  ExpressionAttributeValues: { ':live': LIVE, ...values },
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
});

/** The token a renewal or release names must be the current lease's. */
const HOLDS_TOKEN = '#leaseId = :leaseId AND #fencing = :fencing';

/**
 * The update of a lease part. An acquisition takes a live document nobody
 * holds and grows the fencing token by one: pinned to the token it takes
 * when it is part of a transaction, counted on from the stored one otherwise.
 * Renewal and release need the token of the current lease; the fencing
 * token always stays.
 */
export const leaseUpdateOf = (tableName: string, { key, change }: LeasePart): UpdateAction => {
  switch (change.op) {
    case 'acquire': {
      const free = '(attribute_not_exists(#leaseExpiresAt) OR #leaseExpiresAt <= :now)';
      const values = {
        ':leaseId': change.leaseId,
        ':expiresAt': change.expiresAt,
        ':now': change.now,
      };
      const set = 'SET #leaseId = :leaseId, #leaseExpiresAt = :expiresAt, #fencing = ';
      if (change.fencing === undefined) {
        return leaseUpdate(tableName, key, `${set}if_not_exists(#fencing, :zero) + :one`, free, {
          ...values,
          ':zero': 0,
          ':one': 1,
        });
      }
      // Pinned: the token it grants is known before sending.
      const previous =
        change.fencing === 1 ? 'attribute_not_exists(#fencing)' : '#fencing = :previous';
      return leaseUpdate(tableName, key, `${set}:fencing`, `${free} AND ${previous}`, {
        ...values,
        ':fencing': change.fencing,
        ...(change.fencing === 1 ? {} : { ':previous': change.fencing - 1 }),
      });
    }
    case 'renew':
      // Only while it lasts: an expired lease is over, even when nobody took another.
      return leaseUpdate(
        tableName,
        key,
        'SET #leaseExpiresAt = :expiresAt',
        `${HOLDS_TOKEN} AND #leaseExpiresAt > :now`,
        {
          ':leaseId': change.token.leaseId,
          ':fencing': change.token.fencing,
          ':expiresAt': change.expiresAt,
          ':now': change.now,
        },
      );
    case 'release':
      return leaseUpdate(tableName, key, 'REMOVE #leaseId, #leaseExpiresAt', HOLDS_TOKEN, {
        ':leaseId': change.token.leaseId,
        ':fencing': change.token.fencing,
      });
  }
};

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
