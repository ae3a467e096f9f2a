/**
 * Reading what a transaction must know before it writes, in one request:
 * one document is one consistent GetItem; more (or an idempotency record
 * besides) are one TransactGetItems, isolated from transactions in flight,
 * so it never shows a keyed transaction's documents without its record.
 */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  type GetCommandInput,
  TransactGetCommand,
  type TransactGetCommandInput,
} from '@aws-sdk/lib-dynamodb';
import type { ItemKey, ManySnapshot } from '../core/items-model';
import { type ConflictRetryOptions, sendWithConflictRetries } from './commit';
import { translateFailures } from './failures';
import { idempotencyKey, toIdempotencyRecord } from './idempotency-requests';
import { buildGetItem, itemKey } from './item-requests';
import { toStoredItem } from './records';

export type ManySnapshotRequest =
  | { readonly kind: 'get'; readonly input: GetCommandInput }
  | { readonly kind: 'transaction'; readonly input: TransactGetCommandInput };

/** The request: documents in the order asked, then the idempotency record. */
export const buildManySnapshot = (
  tableName: string,
  keys: readonly ItemKey[],
  wants?: { tenant: string; keyHash: string },
): ManySnapshotRequest => {
  const [only] = keys;
  if (only && keys.length === 1 && !wants) {
    return { kind: 'get', input: buildGetItem(tableName, only) };
  }
  const get = (Key: Record<string, unknown>) => ({ Get: { TableName: tableName, Key } });
  return {
    kind: 'transaction',
    input: {
      TransactItems: [
        ...keys.map((key) => get(itemKey(key))),
        ...(wants ? [get(idempotencyKey(wants.tenant, wants.keyHash))] : []),
      ],
    },
  };
};

export const readManySnapshot = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  keys: readonly ItemKey[],
  wants: { tenant: string; keyHash: string } | undefined,
  conflicts: ConflictRetryOptions,
): Promise<ManySnapshot> => {
  const request = buildManySnapshot(tableName, keys, wants);
  if (request.kind === 'get') {
    const { Item } = await translateFailures(() => client.send(new GetCommand(request.input)));
    return { items: [Item ? toStoredItem(Item) : undefined] };
  }
  // A conflict on the record is a duplicate of this request in flight.
  const { Responses = [] } = await sendWithConflictRetries(
    () => client.send(new TransactGetCommand(request.input)),
    undefined,
    wants ? keys.length : -1,
    conflicts,
  );
  const found = Responses.map((response) => response?.Item);
  const record = wants ? found[keys.length] : undefined;
  return {
    items: keys.map((_, i) => {
      const item = found[i];
      return item ? toStoredItem(item) : undefined;
    }),
    ...(record && wants ? { record: toIdempotencyRecord(record, wants.keyHash) } : {}),
  };
};
