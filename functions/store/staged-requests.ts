/**
 * Pure builders of the staged-transaction requests. One record per
 * transaction holds its state, its deadline, its operations (a list of JSON
 * texts, appended to) with the set of documents they name and the actions
 * they need, and once committed its results. Every change is conditioned on
 * the record being open and unexpired, so no change lands on a transaction
 * that was closed or ran out of time, whatever instance sends it.
 */
import type { GetCommandInput, PutCommandInput, UpdateCommandInput } from '@aws-sdk/lib-dynamodb';
import type { StagedAddition, StagedRecord, StagedState } from '../core/staged-model';
import type { OperationResult, TransactionOperation } from '../core/transaction-model';
import type { StagedClosePart } from '../core/write-plan';
import { STAGED_SORT_KEY, stagedPartition, TABLE_KEYS } from './keys';
import type { UpdateAction } from './transact-items';

export const STAGED_ATTRIBUTES = {
  id: 'id',
  state: 'state',
  /** Epoch milliseconds after which the transaction takes no changes. */
  deadline: 'deadline',
  createdAt: 'createdAt',
  /** A list of JSON texts, one per operation, in the order they were added. */
  operations: 'operations',
  /** A string set of the documents the operations name. */
  documents: 'documents',
  /** Actions the operations need in the commit's transaction. */
  cost: 'cost',
  count: 'count',
  /** The committed transaction's results as JSON text. */
  results: 'results',
  closedAt: 'closedAt',
} as const;

const A = STAGED_ATTRIBUTES;
const NAMES = {
  '#state': A.state,
  '#deadline': A.deadline,
} as const;
/** Open and not yet expired at `:now`. */
const OPEN = '#state = :open AND #deadline > :now';

export const stagedKey = (tenant: string, txId: string) => ({
  [TABLE_KEYS.partitionKey]: stagedPartition(tenant, txId),
  [TABLE_KEYS.sortKey]: STAGED_SORT_KEY,
});

/** A new open transaction; its TTL lies beyond the deadline so late calls get a clear 410. */
export const buildStagedBegin = (
  tableName: string,
  tenant: string,
  record: { id: string; deadline: number; createdAt: string; keepUntil: number },
): PutCommandInput => ({
  TableName: tableName,
  Item: {
    ...stagedKey(tenant, record.id),
    [A.id]: record.id,
    [A.state]: 'open',
    [A.deadline]: record.deadline,
    [A.createdAt]: record.createdAt,
    [A.operations]: [],
    [A.cost]: 0,
    [A.count]: 0,
    [TABLE_KEYS.ttlAttribute]: record.keepUntil,
  },
  // Ids are random: this only guards against ever reusing one.
  ConditionExpression: 'attribute_not_exists(#pk)',
  ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
});

/**
 * Appends one operation: only while open and unexpired, while the actions
 * the operations need stay within the budget, and when no operation names
 * the same document yet. Returns the new count, which tells the position.
 */
export const buildStagedAdd = (
  tableName: string,
  tenant: string,
  txId: string,
  addition: StagedAddition,
): UpdateCommandInput => ({
  TableName: tableName,
  Key: stagedKey(tenant, txId),
  UpdateExpression:
    'SET #operations = list_append(#operations, :operation), #cost = #cost + :cost, ' +
    '#count = #count + :one ADD #documents :documents',
  ConditionExpression: `${OPEN} AND #cost <= :room AND (attribute_not_exists(#documents) OR NOT contains(#documents, :document))`,
  ExpressionAttributeNames: {
    ...NAMES,
    '#operations': A.operations,
    '#cost': A.cost,
    '#count': A.count,
    '#documents': A.documents,
  },
  ExpressionAttributeValues: {
    ':open': 'open',
    ':now': addition.now,
    ':operation': [JSON.stringify(addition.operation)],
    ':cost': addition.cost,
    ':room': addition.budget - addition.cost,
    ':one': 1,
    ':documents': new Set([addition.document]),
    ':document': addition.document,
  },
  ReturnValues: 'UPDATED_NEW',
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
});

/** Ends an open, unexpired transaction: its operations go, its record stays until `keepUntil`. */
const closing = (
  state: Exclude<StagedState, 'open'>,
  keepUntil: number,
  now: number,
  extra: { set: string[]; names: Record<string, string>; values: Record<string, unknown> },
) => ({
  UpdateExpression: `SET #state = :closed, #expiresAt = :keep, #closedAt = :closedAt${extra.set.map((s) => `, ${s}`).join('')} REMOVE #operations, #documents`,
  ExpressionAttributeNames: {
    ...NAMES,
    '#expiresAt': TABLE_KEYS.ttlAttribute,
    '#closedAt': A.closedAt,
    '#operations': A.operations,
    '#documents': A.documents,
    ...extra.names,
  },
  ExpressionAttributeValues: {
    ':open': 'open',
    ':now': now,
    ':closed': state,
    ':keep': keepUntil,
    ':closedAt': new Date(now).toISOString(),
    ...extra.values,
  },
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
});

export const buildStagedAbort = (
  tableName: string,
  tenant: string,
  txId: string,
  change: { now: number; keepUntil: number },
): UpdateCommandInput => ({
  TableName: tableName,
  Key: stagedKey(tenant, txId),
  ConditionExpression: OPEN,
  ...closing('aborted', change.keepUntil, change.now, { set: [], names: {}, values: {} }),
});

/**
 * The commit's closing part: refused unless open, unexpired and still
 * holding exactly the operations the commit read.
 */
export const stagedCloseUpdate = (tableName: string, part: StagedClosePart): UpdateAction => ({
  TableName: tableName,
  Key: stagedKey(part.tenant, part.txId),
  ConditionExpression: `${OPEN} AND #count = :count`,
  ...closing('committed', part.keepUntil, part.now, {
    set: ['#results = :results'],
    names: { '#results': A.results, '#count': A.count },
    values: { ':results': JSON.stringify(part.result), ':count': part.count },
  }),
});

export const buildStagedGet = (
  tableName: string,
  tenant: string,
  txId: string,
): GetCommandInput => ({
  TableName: tableName,
  Key: stagedKey(tenant, txId),
  ConsistentRead: true,
});

/** A stored staged record in domain form. */
export const toStagedRecord = (item: Record<string, unknown>): StagedRecord => {
  const operations = item[A.operations];
  const results = item[A.results];
  return {
    id: String(item[A.id]),
    state: String(item[A.state]) as StagedState,
    deadline: Number(item[A.deadline]),
    createdAt: String(item[A.createdAt] ?? ''),
    operations: Array.isArray(operations)
      ? operations.map((text) => JSON.parse(String(text)) as TransactionOperation)
      : [],
    cost: Number(item[A.cost] ?? 0),
    ...(typeof results === 'string' ? { results: JSON.parse(results) as OperationResult[] } : {}),
  };
};
