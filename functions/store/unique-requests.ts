/**
 * Pure builders of the unique-value guards. A claim puts the guard unless
 * another document holds the value; a release deletes it unless another
 * document holds it. Both return the guard with a refusal, which names the
 * document that holds the value.
 */
import type { UniqueClaimPart, UniqueGuard, UniqueReleasePart } from '../core/write-plan';
import { TABLE_KEYS, UNIQUE_SORT_KEY, uniquePartition } from './keys';
import type { DeleteAction, PutAction } from './transact-items';

export const GUARD_ATTRIBUTES = { owner: 'owner', field: 'field' } as const;

export const guardKey = ({ key, field, valueHash }: UniqueGuard) => ({
  [TABLE_KEYS.partitionKey]: uniquePartition(key.tenant, key.collection, field, valueHash),
  [TABLE_KEYS.sortKey]: UNIQUE_SORT_KEY,
});

/** Free, or already this document's (a guard is never another's to take or to drop). */
const FREE_OR_OURS = 'attribute_not_exists(#pk) OR #owner = :owner';

const guardCondition = (guard: UniqueGuard) => ({
  ConditionExpression: FREE_OR_OURS,
  ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey, '#owner': GUARD_ATTRIBUTES.owner },
  ExpressionAttributeValues: { ':owner': guard.key.id },
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
});

export const guardPut = (tableName: string, part: UniqueClaimPart): PutAction => {
  const put: PutAction = {
    TableName: tableName,
    Item: {
      ...guardKey(part),
      [GUARD_ATTRIBUTES.owner]: part.key.id,
      [GUARD_ATTRIBUTES.field]: part.field,
    },
    ...guardCondition(part),
  };
  if (part.from === undefined) return put;
  // Taken over from a document that releases the value in the same transaction.
  return {
    ...put,
    ConditionExpression: `${FREE_OR_OURS} OR #owner = :from`,
    ExpressionAttributeValues: { ...put.ExpressionAttributeValues, ':from': part.from },
  };
};

export const guardDelete = (tableName: string, part: UniqueReleasePart): DeleteAction => ({
  TableName: tableName,
  Key: guardKey(part),
  ...guardCondition(part),
});

/** The document a refused guard names. */
export const ownerOf = (item: Record<string, unknown> | undefined): string | undefined => {
  const owner = item?.[GUARD_ATTRIBUTES.owner];
  return typeof owner === 'string' ? owner : undefined;
};
