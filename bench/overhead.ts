/**
 * The handler's overhead over raw SDK calls making the same DynamoDB
 * requests, for a small and a 100 KB document: the handler called in
 * process as Lambda calls it, each request timed against its raw twin,
 * interleaved so both see the same machine noise.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { DEFAULT_HISTORY, parseConfig } from '../functions/core/config';
import { createApiKey } from '../functions/core/key-admin';
import { admissionOf } from '../functions/http/admission';
import { createHttpHandler } from '../functions/http/app';
import { matchRoute } from '../functions/http/route-match';
import { createDocumentClient } from '../functions/store/client';
import { createDynamoApiKeyStore } from '../functions/store/dynamo-api-key-store';
import { createDynamoItemStore } from '../functions/store/dynamo-item-store';
import { HISTORY_ATTRIBUTES, historyKey } from '../functions/store/history-requests';
import { ITEM_ATTRIBUTES, itemKey, LIVE } from '../functions/store/item-requests';
import { TABLE_KEYS } from '../functions/store/keys';
import { toApiGatewayEvent } from '../local/api-gateway-event';
import { ensureTable, LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/dynamo-local';

export interface OverheadBenchResult {
  readonly markdown: string;
}

/** Rounds of each comparison run before the measured ones. */
const WARM_UP = 50;

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

/** About 100 KB of JSON: 560 order lines of strings, numbers, booleans and arrays. */
export const LARGE_BODY = {
  lines: Array.from({ length: 560 }, (_, i) => ({
    sku: `SKU-${String(i).padStart(6, '0')}`,
    name: `Item ${i} of the order, with a description long enough to matter here`,
    quantity: (i % 7) + 1,
    price: ((i * 37) % 1000) + 0.99,
    giftWrap: i % 3 === 0,
    tags: ['bench', `group-${i % 10}`, i % 2 ? 'odd' : 'even'],
  })),
};

export const runOverheadBench = async (
  endpoint: string,
  { iterations = 300 } = {},
): Promise<OverheadBenchResult> => {
  const tableName = `bench-${randomUUID().slice(0, 8)}`;
  const client = createDocumentClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  await ensureTable(client, tableName);
  const keys = createDynamoApiKeyStore({ client, tableName });
  const store = createDynamoItemStore({ client, tableName });
  const config = parseConfig({ collections: [{ name: 'items' }] });
  const { key, record } = await createApiKey(keys, {
    tenant: 'bench',
    scopes: ['read', 'write'],
    quota: 1_000_000,
  });
  const handler = createHttpHandler({ config, store, keys });
  let requests = 0;
  let waited = 0;

  /**
   * A request as API Gateway hands it to Lambda, built before the clock
   * starts; the returned function runs the handler on it.
   */
  const invoke = (method: string, url: string, headers: Record<string, string>, body?: unknown) => {
    const match = matchRoute(method, url);
    if (match.kind !== 'matched') throw new Error(`no route for ${method} ${url}`);
    const all = { 'content-type': 'application/json', authorization: `Bearer ${key}`, ...headers };
    const event = toApiGatewayEvent(
      {
        method,
        url,
        headers: Object.fromEntries(Object.entries(all).map(([k, v]) => [k, [v]])),
        body: Buffer.from(body === undefined ? '' : JSON.stringify(body)),
        sourceIp: '127.0.0.1',
      },
      { routeKey: match.routeKey, pathParameters: match.pathParameters },
      randomUUID(),
    );
    return async (): Promise<APIGatewayProxyStructuredResultV2> => {
      const response = await handler(event, {} as Context);
      requests++;
      if ((admissionOf(event)?.roundTrips ?? 0) > 0) waited++;
      return response;
    };
  };
  const expect = (status: number) => (response: APIGatewayProxyStructuredResultV2) => {
    if (response.statusCode !== status) {
      throw new Error(`unexpected ${response.statusCode} ${response.body}`);
    }
  };
  const time = async (into: number[], run: () => Promise<unknown>) => {
    const start = process.hrtime.bigint();
    await run();
    into.push(Number(process.hrtime.bigint() - start) / 1e6);
  };

  /**
   * The handler's PUT If-Match and GET of a document with this body, each
   * timed against the same DynamoDB request sent straight through the SDK:
   * for the replace, one TransactWriteItems of the document's update (on
   * the same conditions: live, at the named version, not leased to another
   * client), its history entry (the same attributes, the writing key's id
   * and the retention TTL included) and, past the retention window, the
   * deletion of the entry that falls out of it (the actions the handler
   * sends), built from the document as a hand-written call would be, JSON
   * text included; for the read, one strongly consistent GetItem.
   */
  const compare = async (body: Record<string, unknown>) => {
    const handlerId = `lat-${randomUUID().slice(0, 8)}`;
    const rawId = `raw-${randomUUID().slice(0, 8)}`;
    for (const id of [handlerId, rawId]) {
      expect(201)(await invoke('POST', '/v1/items', {}, { id, ...body })());
    }
    const raw = { tenant: 'bench', collection: 'items', id: rawId };
    const rawPut = (version: number) => {
      const nowMs = Date.now();
      const at = new Date(nowMs).toISOString();
      const text = JSON.stringify(body);
      return new TransactWriteCommand({
        TransactItems: [
          {
            Update: {
              TableName: tableName,
              Key: itemKey(raw),
              UpdateExpression:
                'SET #id = :id, #state = :state, #version = :version, #updatedAt = :now, #body = :body',
              // Like every write, it respects a lease another client holds.
              ConditionExpression:
                '#state = :state AND #version = :expected AND (attribute_not_exists(#leaseExpiresAt) OR #leaseExpiresAt <= :nowMs)',
              ExpressionAttributeNames: {
                '#id': ITEM_ATTRIBUTES.id,
                '#state': ITEM_ATTRIBUTES.state,
                '#version': ITEM_ATTRIBUTES.version,
                '#updatedAt': ITEM_ATTRIBUTES.updatedAt,
                '#body': ITEM_ATTRIBUTES.body,
                '#leaseExpiresAt': ITEM_ATTRIBUTES.leaseExpiresAt,
              },
              ExpressionAttributeValues: {
                ':id': rawId,
                ':state': LIVE,
                ':version': version + 1,
                ':expected': version,
                ':now': at,
                ':nowMs': nowMs,
                ':body': text,
              },
              ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
            },
          },
          {
            Put: {
              TableName: tableName,
              Item: {
                ...historyKey(raw, version + 1),
                [HISTORY_ATTRIBUTES.version]: version + 1,
                [HISTORY_ATTRIBUTES.operation]: 'replace',
                [HISTORY_ATTRIBUTES.time]: at,
                [HISTORY_ATTRIBUTES.keyId]: record.keyId,
                [HISTORY_ATTRIBUTES.deleted]: false,
                [HISTORY_ATTRIBUTES.body]: text,
                [TABLE_KEYS.ttlAttribute]:
                  Math.floor(nowMs / 1000) + DEFAULT_HISTORY.keepDays * 86_400,
              },
              ConditionExpression: 'attribute_not_exists(#pk)',
              ExpressionAttributeNames: { '#pk': TABLE_KEYS.partitionKey },
            },
          },
          // The entry that retention no longer keeps, as the handler's write drops it.
          ...(version + 1 > DEFAULT_HISTORY.keepVersions
            ? [
                {
                  Delete: {
                    TableName: tableName,
                    Key: historyKey(raw, version + 1 - DEFAULT_HISTORY.keepVersions),
                  },
                },
              ]
            : []),
        ],
      });
    };
    const rawGet = new GetCommand({
      TableName: tableName,
      Key: itemKey(raw),
      ConsistentRead: true,
    });
    const discarded = () => ({
      put: [] as number[],
      rawPut: [] as number[],
      get: [] as number[],
      rawGet: [] as number[],
    });
    const kept = discarded();
    // The first rounds warm up both paths (JIT, connections) and are not kept.
    for (let version = 1; version <= WARM_UP + iterations; version++) {
      const timings = version > WARM_UP ? kept : discarded();
      const put = invoke('PUT', `/v1/items/${handlerId}`, { 'if-match': `"${version}"` }, body);
      const get = invoke('GET', `/v1/items/${handlerId}`, {});
      const steps = {
        put: () => time(timings.put, async () => expect(200)(await put())),
        rawPut: () => time(timings.rawPut, () => client.send(rawPut(version))),
        get: () => time(timings.get, async () => expect(200)(await get())),
        rawGet: () => time(timings.rawGet, () => client.send(rawGet)),
      };
      // ABBA: DynamoDB Local answers a request right after a transaction more
      // slowly, so each side follows a write as often as it follows a read.
      const order: (keyof typeof steps)[] =
        version % 2 === 0 ? ['put', 'rawPut', 'rawGet', 'get'] : ['rawPut', 'put', 'get', 'rawGet'];
      for (const step of order) await steps[step]();
    }
    return Object.fromEntries(
      Object.entries(kept).map(([name, values]) => [name, percentile(values, 50)]),
    ) as Record<keyof typeof kept, number>;
  };

  const small = await compare({ n: 0 });
  const large = await compare(LARGE_BODY);
  client.destroy();
  const kb = Math.round(JSON.stringify(LARGE_BODY).length / 1000);
  const row = (operation: string, handlerMs: number, rawMs: number) =>
    `| ${operation} | ${handlerMs.toFixed(2)} | ${rawMs.toFixed(2)} | ${(handlerMs / rawMs).toFixed(2)}× |`;
  const markdown = [
    `Medians of ${iterations} runs of each, after ${WARM_UP} of warm-up, interleaved in ABBA order`,
    "(each side follows a write as often as a read). The raw side makes the handler's own",
    'DynamoDB request from the document, as a hand-written SDK call would: for the replace, the',
    'TransactWriteItems of the document update (on the same conditions: live, at the named',
    "version, not leased to another client), its history entry (the writing key's id included)",
    'and, past the 100 versions history keeps, the deletion of the oldest entry (the',
    "document's JSON text made inside the clock); for the read, a consistent GetItem.",
    'The handler adds admission, routing, parsing and checking the body, and making the answer;',
    "its API Gateway event is built before the clock starts, as Lambda's is.",
    `Handler requests that waited for an admission call: ${waited} of ${requests}.`,
    '',
    '| operation | handler p50 (ms) | raw SDK p50 (ms) | ratio |',
    '|---|---|---|---|',
    row(
      'conditional replace (PUT If-Match vs TransactWriteItems), small document',
      small.put,
      small.rawPut,
    ),
    row('read (GET vs GetItem), small document', small.get, small.rawGet),
    row(
      `conditional replace (PUT If-Match vs TransactWriteItems), ${kb} KB document`,
      large.put,
      large.rawPut,
    ),
    row(`read (GET vs GetItem), ${kb} KB document`, large.get, large.rawGet),
    '',
  ].join('\n');
  return { markdown };
};
