import {
  type DynamoDBDocumentClient,
  GetCommand,
  QueryCommand,
  TransactGetCommand,
} from '@aws-sdk/lib-dynamodb';
import { BadRequestError } from '../core/errors';
import type { ItemKey, ItemStore, StoredItem } from '../core/items-model';
import { ID_PATTERN } from '../core/limits';
import { type ConflictRetryOptions, createCommit, sendWithConflictRetries } from './commit';
import { createDynamoConflictStore } from './dynamo-conflict-store';
import { createDynamoStagedStore } from './dynamo-staged-store';
import { translateFailures } from './failures';
import { buildListVersions, toHistoryEntry } from './history-requests';
import { toIdempotencyRecord } from './idempotency-requests';
import { buildGetItem, buildListItems } from './item-requests';
import { idFromSortKey, TABLE_KEYS, versionFromSortKey } from './keys';
import { readManySnapshot } from './many-snapshots';
import { buildSnapshot } from './plan-requests';
import { toStoredItem } from './records';

export interface DynamoItemStoreOptions {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** How the store waits between attempts when other transactions hold the same records. */
  readonly conflicts?: ConflictRetryOptions;
}

/** A page is filled from at most this many queries when tombstones are skipped. */
const MAX_QUERIES_PER_PAGE = 4;

/**
 * DynamoDB applies a Query's Limit before its filter drops tombstones, so a
 * page asks for a quarter more (and a few) than it shows: with fewer
 * tombstones than that among its documents, a page is one Query.
 */
export const overFetch = (want: number): number => want + Math.ceil(want / 4) + 4;

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

/** The DynamoDB implementation of the items storage port: one request per plan. */
export const createDynamoItemStore = ({
  client,
  tableName,
  conflicts = {},
}: DynamoItemStoreOptions): ItemStore => {
  const get = async (key: ItemKey): Promise<StoredItem | undefined> => {
    const { Item } = await translateFailures(() =>
      client.send(new GetCommand(buildGetItem(tableName, key))),
    );
    return Item ? toStoredItem(Item) : undefined;
  };

  return {
    get,

    async snapshot(key, wants = {}) {
      const request = buildSnapshot(tableName, key, wants);
      if (request.kind === 'get') {
        const item = await get(key);
        return item ? { item } : {};
      }
      const { keyHash, version } = wants;
      // Reads come back in request order: document, history entry, idempotency record.
      const recordIndex = keyHash === undefined ? -1 : version === undefined ? 1 : 2;
      // A conflict on the record is a duplicate of this request in flight.
      const { Responses = [] } = await sendWithConflictRetries(
        () => client.send(new TransactGetCommand(request.input)),
        undefined,
        recordIndex,
        conflicts,
      );
      const [item, ...rest] = Responses.map((response) => response?.Item);
      const entry = version === undefined ? undefined : rest.shift();
      const record = keyHash === undefined ? undefined : rest.shift();
      return {
        ...(item ? { item: toStoredItem(item) } : {}),
        ...(entry ? { entry: toHistoryEntry(entry) } : {}),
        ...(record && keyHash !== undefined
          ? { record: toIdempotencyRecord(record, keyHash) }
          : {}),
      };
    },

    snapshotMany: (keys, wants) => readManySnapshot(client, tableName, keys, wants, conflicts),

    staged: createDynamoStagedStore({ client, tableName }),

    conflicts: createDynamoConflictStore({ client, tableName }),

    async listVersions(key, page) {
      const input = buildListVersions(tableName, key, page);
      const found = await translateFailures(() => client.send(new QueryCommand(input)));
      const last = found.LastEvaluatedKey?.[TABLE_KEYS.sortKey];
      return {
        entries: (found.Items ?? []).map(toHistoryEntry),
        ...(typeof last === 'string' ? { before: versionFromSortKey(last) } : {}),
      };
    },

    commit: createCommit(client, tableName, conflicts),

    async list(tenant, collection, { limit, cursor }) {
      let after = cursor === undefined ? undefined : decodeCursor(cursor);
      const items: StoredItem[] = [];
      for (let query = 0; query < MAX_QUERIES_PER_PAGE && items.length < limit; query++) {
        const want = limit - items.length;
        const input = buildListItems(tableName, tenant, collection, overFetch(want), after);
        const page = await translateFailures(() => client.send(new QueryCommand(input)));
        const found = (page.Items ?? []).map(toStoredItem);
        if (found.length > want) {
          // More than the page holds: it ends at the last document it shows.
          items.push(...found.slice(0, want));
          after = items.at(-1)?.id;
          break;
        }
        items.push(...found);
        const last = page.LastEvaluatedKey?.[TABLE_KEYS.sortKey];
        after = typeof last === 'string' ? idFromSortKey(last) : undefined;
        if (after === undefined) break;
      }
      return { items, ...(after !== undefined ? { cursor: encodeCursor(after) } : {}) };
    },
  };
};
