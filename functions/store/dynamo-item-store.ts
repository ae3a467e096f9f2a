import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { BadRequestError, IdempotencyInFlightError } from '../core/errors';
import { IdempotencyRecordExistsError, type IdempotentResult } from '../core/idempotency';
import { ConditionFailedError, type ItemStore, type StoredItem } from '../core/items-model';
import { ID_PATTERN } from '../core/limits';
import { translateFailures, updatedRecord } from './failures';
import {
  buildAcquireLease,
  buildGetIdempotency,
  buildGetItem,
  buildIdempotentWrite,
  buildListItems,
  buildReleaseLease,
  buildRenewLease,
  buildWriteItem,
  IDEMPOTENCY_ATTRIBUTES,
} from './item-requests';
import { idFromSortKey, TABLE_KEYS } from './keys';
import { toStoredItem } from './records';

export interface DynamoItemStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly now?: () => Date;
}

/** A page is filled from at most this many queries when tombstones are skipped. */
const MAX_QUERIES_PER_PAGE = 4;

/**
 * Cursors name the last id seen and nothing else: the partition (and so the
 * tenant) always comes from the request, never from the client's cursor.
 */
const encodeCursor = (id: string): string =>
  Buffer.from(JSON.stringify({ after: id })).toString('base64url');

const decodeCursor = (cursor: string): string => {
  try {
    const parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      after?: unknown;
    };
    if (typeof parsed.after === 'string' && ID_PATTERN.test(parsed.after)) return parsed.after;
  } catch {
    // fall through to the client error below
  }
  throw new BadRequestError('the cursor is not one this API made');
};

/** A lease write returns the item after it; a refusal carries the item as it was. */
const leaseWrite = async (send: () => Promise<{ Attributes?: Record<string, unknown> }>) =>
  toStoredItem(await updatedRecord(send));

/** The DynamoDB implementation of the items storage port: one request per write. */
export const createDynamoItemStore = ({
  client,
  tableName,
  now = () => new Date(),
}: DynamoItemStoreOptions): ItemStore => ({
  async get(key) {
    const { Item } = await translateFailures(() =>
      client.send(new GetCommand(buildGetItem(tableName, key))),
    );
    return Item ? toStoredItem(Item) : undefined;
  },

  async write(key, body, condition) {
    const input = buildWriteItem(tableName, key, body, condition, now().toISOString());
    const { Attributes } = await translateFailures(() => client.send(new UpdateCommand(input)));
    const old = Attributes ? toStoredItem(Attributes) : undefined;
    const item: StoredItem = {
      id: key.id,
      version: (old?.version ?? 0) + 1,
      deleted: body === null,
      body: body ?? {},
      updatedAt: String(input.ExpressionAttributeValues?.[':now']),
    };
    return { item, existed: old !== undefined && !old.deleted };
  },

  async writeIdempotently(key, body, condition, record) {
    const input = buildIdempotentWrite(tableName, key, body, condition, record, now());
    try {
      await translateFailures(() => client.send(new TransactWriteCommand(input)));
    } catch (error) {
      if (!(error instanceof TransactionCanceledException)) throw error;
      // Reasons come in the order of the transaction's items: the write, then the record.
      const [write, recorded] = error.CancellationReasons ?? [];
      if (write?.Code === 'ConditionalCheckFailed') {
        throw new ConditionFailedError(
          write.Item ? toStoredItem(unmarshall(write.Item)) : undefined,
        );
      }
      if (recorded?.Code === 'ConditionalCheckFailed') throw new IdempotencyRecordExistsError();
      if ([write, recorded].some((reason) => reason?.Code === 'TransactionConflict')) {
        throw new IdempotencyInFlightError(
          'a request with this Idempotency-Key is being written; retry shortly',
        );
      }
      throw error;
    }
  },

  acquireLease: (key, leaseId, expiresAt, at) =>
    leaseWrite(() =>
      client.send(new UpdateCommand(buildAcquireLease(tableName, key, leaseId, expiresAt, at))),
    ),
  renewLease: (key, token, expiresAt, at) =>
    leaseWrite(() =>
      client.send(new UpdateCommand(buildRenewLease(tableName, key, token, expiresAt, at))),
    ),
  releaseLease: (key, token) =>
    leaseWrite(() => client.send(new UpdateCommand(buildReleaseLease(tableName, key, token)))),

  async readIdempotency(tenant, keyHash) {
    const { Item } = await translateFailures(() =>
      client.send(new GetCommand(buildGetIdempotency(tableName, tenant, keyHash))),
    );
    const expiresAt = Number(Item?.[TABLE_KEYS.ttlAttribute]);
    // TTL deletes late: an expired record no longer counts.
    if (!Item || !(expiresAt * 1000 > now().getTime())) return undefined;
    return {
      keyHash,
      fingerprint: String(Item[IDEMPOTENCY_ATTRIBUTES.fingerprint]),
      result: JSON.parse(String(Item[IDEMPOTENCY_ATTRIBUTES.result])) as IdempotentResult,
      expiresAt,
    };
  },

  async list(tenant, collection, { limit, cursor }) {
    let after = cursor === undefined ? undefined : decodeCursor(cursor);
    const items: StoredItem[] = [];
    for (let query = 0; query < MAX_QUERIES_PER_PAGE && items.length < limit; query++) {
      const input = buildListItems(tableName, tenant, collection, limit - items.length, after);
      const page = await translateFailures(() => client.send(new QueryCommand(input)));
      items.push(...(page.Items ?? []).map(toStoredItem));
      const last = page.LastEvaluatedKey?.[TABLE_KEYS.sortKey];
      after = typeof last === 'string' ? idFromSortKey(last) : undefined;
      if (after === undefined) break;
    }
    return { items, ...(after !== undefined ? { cursor: encodeCursor(after) } : {}) };
  },
});
