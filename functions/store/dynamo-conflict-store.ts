/** The DynamoDB implementation of the conflict-record port: one request per call. */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { ConflictRecord, ConflictStore } from '../core/conflicts-model';
import { encodeTime } from '../core/ulid';
import {
  buildConflictGet,
  buildConflictPut,
  buildListConflicts,
  toConflictRecord,
} from './conflict-requests';
import { translateFailures } from './failures';
import { CONFLICT_SORT_PREFIX, TABLE_KEYS } from './keys';

/** A page is filled from at most this many queries when filters skip records. */
const MAX_QUERIES_PER_PAGE = 4;

export const createDynamoConflictStore = ({
  client,
  tableName,
}: {
  client: DynamoDBDocumentClient;
  tableName: string;
}): ConflictStore => ({
  async record(tenant, record) {
    await translateFailures(() =>
      client.send(new PutCommand(buildConflictPut(tableName, tenant, record))),
    );
  },

  async get(tenant, id) {
    const { Item } = await translateFailures(() =>
      client.send(new GetCommand(buildConflictGet(tableName, tenant, id))),
    );
    return Item ? toConflictRecord(Item) : undefined;
  },

  async list(tenant, query) {
    // ULIDs begin with their time: the smallest id of that millisecond bounds the query.
    const from = query.since !== undefined ? `${encodeTime(query.since, 10)}` : undefined;
    let after = query.after;
    const records: ConflictRecord[] = [];
    for (let round = 0; round < MAX_QUERIES_PER_PAGE && records.length < query.limit; round++) {
      const input = buildListConflicts(tableName, tenant, {
        ...query,
        limit: query.limit - records.length,
        ...(after !== undefined ? { after } : {}),
        ...(from !== undefined ? { from } : {}),
      });
      const page = await translateFailures(() => client.send(new QueryCommand(input)));
      records.push(...(page.Items ?? []).map(toConflictRecord));
      const last = page.LastEvaluatedKey?.[TABLE_KEYS.sortKey];
      after = typeof last === 'string' ? last.slice(CONFLICT_SORT_PREFIX.length) : undefined;
      if (after === undefined) break;
    }
    return { records, ...(after !== undefined ? { after } : {}) };
  },
});
