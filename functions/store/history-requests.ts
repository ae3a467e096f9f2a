/**
 * Pure builders of the version-history requests. An entry's put is a part of
 * its version's write, refused when that version already has an entry; the
 * entry retention drops is deleted in the same request, unconditionally.
 */
import type { QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { bodyText, parsedBody } from '../core/documents';
import type { HistoryEntry, Operation } from '../core/history';
import type { ItemKey } from '../core/items-model';
import type { HistoryDropPart, HistoryPart } from '../core/write-plan';
import { historyPartition, historySortKey, TABLE_KEYS } from './keys';
import type { DeleteAction, PutAction } from './transact-items';

export const HISTORY_ATTRIBUTES = {
  version: 'version',
  operation: 'operation',
  time: 'time',
  keyId: 'keyId',
  deleted: 'deleted',
  /** The body as JSON text, like the document's. */
  body: 'body',
} as const;

export const historyKey = ({ tenant, collection, id }: ItemKey, version: number) => ({
  [TABLE_KEYS.partitionKey]: historyPartition(tenant, collection, id),
  [TABLE_KEYS.sortKey]: historySortKey(version),
});

/**
 * Puts a version's entry; a version is never written twice. A refusal of it
 * only says that the version exists, so the old entry is not sent back: on a
 * stale write it would be a second copy of a document nobody reads.
 */
export const historyPut = (tableName: string, { key, entry }: HistoryPart): PutAction => ({
  TableName: tableName,
  Item: {
    ...historyKey(key, entry.version),
    [HISTORY_ATTRIBUTES.version]: entry.version,
    [HISTORY_ATTRIBUTES.operation]: entry.operation,
    [HISTORY_ATTRIBUTES.time]: entry.time,
    ...(entry.keyId !== undefined ? { [HISTORY_ATTRIBUTES.keyId]: entry.keyId } : {}),
    [HISTORY_ATTRIBUTES.deleted]: entry.deleted,
    [HISTORY_ATTRIBUTES.body]: bodyText(entry.body),
    [TABLE_KEYS.ttlAttribute]: entry.expiresAt,
  },
  ConditionExpression: 'attribute_not_exists(#pk)',
  ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
});

/** Deletes the entry retention no longer keeps; absent already is fine. */
export const historyDelete = (
  tableName: string,
  { key, version }: HistoryDropPart,
): DeleteAction => ({
  TableName: tableName,
  Key: historyKey(key, version),
});

/**
 * One page of a document's history, newest first, strictly between two
 * versions (`after` is the newest version retention dropped), skipping
 * entries whose retention time has passed.
 */
export const buildListVersions = (
  tableName: string,
  key: ItemKey,
  page: { limit: number; before: number; after: number; now: number },
): QueryCommandInput => ({
  TableName: tableName,
  KeyConditionExpression: '#pk = :pk AND #sk BETWEEN :low AND :high',
  FilterExpression: '#expiresAt > :now',
  ExpressionAttributeNames: {
    '#pk': TABLE_KEYS.partitionKey,
    '#sk': TABLE_KEYS.sortKey,
    '#expiresAt': TABLE_KEYS.ttlAttribute,
  },
  ExpressionAttributeValues: {
    ':pk': historyPartition(key.tenant, key.collection, key.id),
    ':low': historySortKey(page.after + 1),
    ':high': historySortKey(page.before - 1),
    ':now': page.now,
  },
  ScanIndexForward: false,
  Limit: page.limit,
  ConsistentRead: true,
});

/** A stored history entry in domain form. */
export const toHistoryEntry = (item: Record<string, unknown>): HistoryEntry => {
  const keyId = item[HISTORY_ATTRIBUTES.keyId];
  return {
    version: Number(item[HISTORY_ATTRIBUTES.version]),
    operation: String(item[HISTORY_ATTRIBUTES.operation]) as Operation,
    time: String(item[HISTORY_ATTRIBUTES.time]),
    ...(typeof keyId === 'string' ? { keyId } : {}),
    deleted: item[HISTORY_ATTRIBUTES.deleted] === true,
    body: parsedBody(String(item[HISTORY_ATTRIBUTES.body] ?? '{}')),
    expiresAt: Number(item[TABLE_KEYS.ttlAttribute]),
  };
};
