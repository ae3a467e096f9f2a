/**
 * Pure builders of the conflict-record requests. A record is put once (ids
 * are ULIDs; the condition only guards against reuse), listed by one Query
 * of the tenant's conflict partition in id (time) order, and resolved by one
 * Update that holds only while it is still open: two resolutions can never
 * both win. `status`, `collection` and `documentId` are plain attributes, so
 * the table's stream and the list filters read them without parsing JSON.
 */
import type { GetCommandInput, PutCommandInput, QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import type {
  ConflictProposal,
  ConflictQuery,
  ConflictRecord,
  ConflictResolution,
  ConflictStatus,
} from '../core/conflicts-model';
import type { ErrorCode } from '../core/errors';
import type { Clash } from '../core/merge';
import type { ConflictResolvePart } from '../core/write-plan';
import { CONFLICT_SORT_PREFIX, conflictPartition, conflictSortKey, TABLE_KEYS } from './keys';
import type { UpdateAction } from './transact-items';

export const CONFLICT_ATTRIBUTES = {
  id: 'id',
  collection: 'collection',
  documentId: 'documentId',
  status: 'status',
  reason: 'reason',
  baseVersion: 'baseVersion',
  currentVersion: 'currentVersion',
  /** The refused request as JSON text. */
  proposal: 'proposal',
  /** The clashing paths as JSON text. */
  paths: 'paths',
  time: 'time',
  keyId: 'keyId',
  operationIndex: 'operationIndex',
  /** The resolution as JSON text, once resolved. */
  resolution: 'resolution',
} as const;

const A = CONFLICT_ATTRIBUTES;

export const conflictKey = (tenant: string, id: string) => ({
  [TABLE_KEYS.partitionKey]: conflictPartition(tenant),
  [TABLE_KEYS.sortKey]: conflictSortKey(id),
});

export const buildConflictPut = (
  tableName: string,
  tenant: string,
  record: ConflictRecord,
): PutCommandInput => ({
  TableName: tableName,
  Item: {
    ...conflictKey(tenant, record.id),
    [A.id]: record.id,
    [A.collection]: record.collection,
    [A.documentId]: record.documentId,
    [A.status]: record.status,
    [A.reason]: record.reason,
    ...(record.baseVersion !== null ? { [A.baseVersion]: record.baseVersion } : {}),
    ...(record.currentVersion !== null ? { [A.currentVersion]: record.currentVersion } : {}),
    [A.proposal]: JSON.stringify(record.proposal),
    [A.paths]: JSON.stringify(record.paths),
    [A.time]: record.time,
    ...(record.keyId !== null ? { [A.keyId]: record.keyId } : {}),
    ...(record.operationIndex !== undefined ? { [A.operationIndex]: record.operationIndex } : {}),
    [TABLE_KEYS.ttlAttribute]: record.expiresAt,
  },
  ConditionExpression: 'attribute_not_exists(#pk)',
  ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
});

export const buildConflictGet = (
  tableName: string,
  tenant: string,
  id: string,
): GetCommandInput => ({
  TableName: tableName,
  Key: conflictKey(tenant, id),
  ConsistentRead: true,
});

/** Marks an open conflict resolved; the record keeps its expiry. */
export const conflictResolveUpdate = (
  tableName: string,
  { tenant, conflictId, resolution }: ConflictResolvePart,
): UpdateAction => ({
  TableName: tableName,
  Key: conflictKey(tenant, conflictId),
  UpdateExpression: 'SET #status = :resolved, #resolution = :resolution',
  // Only an open record: a second resolution (or a record that never existed) is refused.
  ConditionExpression: '#status = :open',
  ExpressionAttributeNames: { '#status': A.status, '#resolution': A.resolution },
  ExpressionAttributeValues: {
    ':open': 'open',
    ':resolved': 'resolved',
    ':resolution': JSON.stringify(resolution),
  },
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
});

/**
 * One page of a tenant's conflicts in id order, after a cursor or from a
 * time (ULIDs start with their time, so `since` is a key bound), with the
 * filters and the expiry applied by DynamoDB.
 */
export const buildListConflicts = (
  tableName: string,
  tenant: string,
  query: ConflictQuery & { readonly from?: string },
): QueryCommandInput => {
  const filters = ['#expiresAt > :now'];
  const names: Record<string, string> = {
    '#pk': TABLE_KEYS.partitionKey,
    '#sk': TABLE_KEYS.sortKey,
    '#expiresAt': TABLE_KEYS.ttlAttribute,
  };
  const values: Record<string, unknown> = {
    ':pk': conflictPartition(tenant),
    ':now': query.now,
  };
  for (const [field, value] of [
    ['collection', query.collection],
    ['documentId', query.documentId],
    ['status', query.status],
  ] as const) {
    if (value === undefined) continue;
    filters.push(`#${field} = :${field}`);
    names[`#${field}`] = A[field];
    values[`:${field}`] = value;
  }
  const after = query.after !== undefined ? conflictSortKey(query.after) : undefined;
  const from = query.from !== undefined ? conflictSortKey(query.from) : undefined;
  // The later of the cursor and the time bound; without either, the whole partition.
  const lower = after !== undefined && (from === undefined || after >= from) ? after : from;
  const strict = lower !== undefined && lower === after;
  let keyCondition = '#pk = :pk AND begins_with(#sk, :prefix)';
  if (lower !== undefined) {
    keyCondition = strict ? '#pk = :pk AND #sk > :lower' : '#pk = :pk AND #sk >= :lower';
    values[':lower'] = lower;
  } else {
    values[':prefix'] = CONFLICT_SORT_PREFIX;
  }
  return {
    TableName: tableName,
    // The partition holds conflict records only, so a lower bound is all a key condition needs.
    KeyConditionExpression: keyCondition,
    FilterExpression: filters.join(' AND '),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    Limit: query.limit,
    ConsistentRead: true,
  };
};

const parse = <T>(text: unknown, fallback: T): T =>
  typeof text === 'string' ? (JSON.parse(text) as T) : fallback;

/** A record from the table in domain form. */
export const toConflictRecord = (item: Record<string, unknown>): ConflictRecord => {
  const num = (v: unknown) => (v === undefined || v === null ? null : Number(v));
  const resolution = parse<ConflictResolution | undefined>(item[A.resolution], undefined);
  const index = item[A.operationIndex];
  return {
    id: String(item[A.id]),
    collection: String(item[A.collection]),
    documentId: String(item[A.documentId]),
    status: item[A.status] as ConflictStatus,
    reason: item[A.reason] as ErrorCode,
    baseVersion: num(item[A.baseVersion]),
    currentVersion: num(item[A.currentVersion]),
    proposal: parse<ConflictProposal>(item[A.proposal], { method: 'PUT', body: null }),
    paths: parse<Clash[]>(item[A.paths], []),
    time: String(item[A.time]),
    keyId: typeof item[A.keyId] === 'string' ? (item[A.keyId] as string) : null,
    ...(index !== undefined ? { operationIndex: Number(index) } : {}),
    expiresAt: Number(item[TABLE_KEYS.ttlAttribute]),
    ...(resolution ? { resolution } : {}),
  };
};
