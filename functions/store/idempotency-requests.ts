/**
 * The idempotency record of a keyed write: one partition per tenant and key
 * hash, expired by TTL. Its put is a part of the write's plan, refused while
 * an unexpired record exists, and the refusal returns the record: that is
 * the replay check, at no extra request.
 */
import type { IdempotencyRecord, IdempotentResult } from '../core/idempotency';
import type { IdempotencyPart } from '../core/write-plan';
import { IDEMPOTENCY_SORT_KEY, idempotencyPartition, TABLE_KEYS } from './keys';
import type { PutAction } from './transact-items';

export const IDEMPOTENCY_ATTRIBUTES = { fingerprint: 'fingerprint', result: 'result' } as const;

export const idempotencyKey = (tenant: string, keyHash: string) => ({
  [TABLE_KEYS.partitionKey]: idempotencyPartition(tenant, keyHash),
  [TABLE_KEYS.sortKey]: IDEMPOTENCY_SORT_KEY,
});

/** Puts the record unless an unexpired one exists (TTL deletes late, so expiry is checked here). */
export const idempotencyPut = (
  tableName: string,
  { tenant, record, now }: IdempotencyPart,
): PutAction => ({
  TableName: tableName,
  Item: {
    ...idempotencyKey(tenant, record.keyHash),
    [IDEMPOTENCY_ATTRIBUTES.fingerprint]: record.fingerprint,
    [IDEMPOTENCY_ATTRIBUTES.result]: JSON.stringify(record.result),
    [TABLE_KEYS.ttlAttribute]: record.expiresAt,
  },
  ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now',
  ExpressionAttributeNames: {
    '#pk': TABLE_KEYS.partitionKey,
    '#expiresAt': TABLE_KEYS.ttlAttribute,
  },
  ExpressionAttributeValues: { ':now': now },
  ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
});

/** Records written before results had a kind hold a document result. */
const resultOf = (text: string): IdempotentResult => {
  const parsed = JSON.parse(text) as IdempotentResult | { kind?: undefined };
  return parsed.kind === undefined
    ? ({ kind: 'document', ...parsed } as IdempotentResult)
    : (parsed as IdempotentResult);
};

/** A stored idempotency record in domain form; the key hash comes from its partition. */
export const toIdempotencyRecord = (
  item: Record<string, unknown>,
  keyHash: string,
): IdempotencyRecord => ({
  keyHash,
  fingerprint: String(item[IDEMPOTENCY_ATTRIBUTES.fingerprint]),
  result: resultOf(String(item[IDEMPOTENCY_ATTRIBUTES.result])),
  expiresAt: Number(item[TABLE_KEYS.ttlAttribute]),
});
