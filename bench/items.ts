/**
 * Items API benchmark, one run against DynamoDB Local:
 *  1. DynamoDB calls per API operation, on the success and the conflict path
 *     (counted by SDK middleware, so nothing is estimated);
 *  2. the in-process handler's median latency over a raw SDK call doing the
 *     same conditional write (and the same read), interleaved so both see
 *     the same machine noise.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { hashApiKey } from '../functions/core/api-keys';
import { parseConfig } from '../functions/core/config';
import { createApiKey } from '../functions/core/key-admin';
import { createHttpHandler } from '../functions/http/app';
import { matchRoute } from '../functions/http/route-match';
import { apiKeyKey } from '../functions/store/api-key-requests';
import { createDocumentClient } from '../functions/store/client';
import { createDynamoApiKeyStore } from '../functions/store/dynamo-api-key-store';
import { createDynamoItemStore } from '../functions/store/dynamo-item-store';
import { itemKey } from '../functions/store/item-requests';
import { API_KEY_PARTITION_PREFIX, TABLE_KEYS } from '../functions/store/keys';
import { toApiGatewayEvent } from '../local/api-gateway-event';
import { ensureTable, LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/dynamo-local';

export interface ItemsBenchResult {
  readonly markdown: string;
}

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

export const runItemsBench = async (
  endpoint: string,
  iterations = 300,
): Promise<ItemsBenchResult> => {
  const tableName = `bench-${randomUUID().slice(0, 8)}`;
  const client = createDocumentClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  await ensureTable(client, tableName);
  let calls: Array<{ command: string; admission: boolean }> = [];
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const key = (args.input as { Key?: Record<string, unknown> }).Key;
      const partition = String(key?.[TABLE_KEYS.partitionKey] ?? '');
      calls.push({
        command: String(context.commandName),
        admission: partition.startsWith(API_KEY_PARTITION_PREFIX),
      });
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
  const keys = createDynamoApiKeyStore({ client, tableName });
  const { key, record } = await createApiKey(keys, {
    tenant: 'bench',
    scopes: ['read', 'write'],
    quota: 1_000_000,
  });
  const handler = createHttpHandler({
    config: parseConfig({ collections: [{ name: 'items' }] }),
    store: createDynamoItemStore({ client, tableName }),
    keys,
  });

  const request = async (
    method: string,
    url: string,
    headers: Record<string, string> = {},
    body?: unknown,
  ): Promise<APIGatewayProxyStructuredResultV2> => {
    const match = matchRoute(method, url.split('?')[0] ?? url);
    if (match.kind !== 'matched') throw new Error(`no route for ${method} ${url}`);
    const text = body === undefined ? '' : JSON.stringify(body);
    const event = toApiGatewayEvent(
      {
        method,
        url,
        headers: Object.fromEntries(
          Object.entries({
            'content-type': 'application/json',
            authorization: `Bearer ${key}`,
            ...headers,
          }).map(([k, v]) => [k, [v]]),
        ),
        body: Buffer.from(text),
        sourceIp: '127.0.0.1',
      },
      { routeKey: match.routeKey, pathParameters: match.pathParameters },
      randomUUID(),
    );
    return handler(event, {} as Context);
  };

  // 1. Calls per operation.
  const id = `calls-${randomUUID().slice(0, 8)}`;
  const merge = { 'content-type': 'application/merge-patch+json' };
  const idemId = `${id}-idem`;
  const idemPost = { 'idempotency-key': `post-${id}` };
  const idemPatch = { ...merge, 'if-match': '"1"', 'idempotency-key': `patch-${id}` };
  const jsonPatch = { 'content-type': 'application/json-patch+json' };
  const operations: Array<[string, () => Promise<APIGatewayProxyStructuredResultV2>]> = [
    ['POST create', () => request('POST', '/v1/items', {}, { id, n: 0 })],
    ['POST create, id exists (409)', () => request('POST', '/v1/items', {}, { id, n: 0 })],
    ['GET', () => request('GET', `/v1/items/${id}`)],
    [
      'GET If-None-Match (304)',
      () => request('GET', `/v1/items/${id}`, { 'if-none-match': '"1"' }),
    ],
    ['PUT If-Match', () => request('PUT', `/v1/items/${id}`, { 'if-match': '"1"' }, { n: 1 })],
    [
      'PUT stale If-Match (409)',
      () => request('PUT', `/v1/items/${id}`, { 'if-match': '"1"' }, { n: 1 }),
    ],
    [
      'PUT If-None-Match: * (201)',
      () => request('PUT', `/v1/items/${id}-b`, { 'if-none-match': '*' }, {}),
    ],
    [
      'PATCH merge If-Match',
      () => request('PATCH', `/v1/items/${id}`, { ...merge, 'if-match': '"2"' }, { n: 2 }),
    ],
    [
      'PATCH merge stale (409)',
      () => request('PATCH', `/v1/items/${id}`, { ...merge, 'if-match': '"2"' }, { n: 2 }),
    ],
    [
      'PATCH json-patch If-Match',
      () =>
        request('PATCH', `/v1/items/${id}`, { ...jsonPatch, 'if-match': '"3"' }, [
          { op: 'add', path: '/m', value: 1 },
        ]),
    ],
    ['GET list (limit 10)', () => request('GET', '/v1/items?limit=10')],
    [
      'DELETE stale If-Match (409)',
      () => request('DELETE', `/v1/items/${id}`, { 'if-match': '"1"' }),
    ],
    ['DELETE If-Match', () => request('DELETE', `/v1/items/${id}`, { 'if-match': '"4"' })],
    ['POST with Idempotency-Key', () => request('POST', '/v1/items', idemPost, { id: idemId })],
    [
      'POST retried, same key (replay)',
      () => request('POST', '/v1/items', idemPost, { id: idemId }),
    ],
    [
      'PATCH merge with Idempotency-Key',
      () => request('PATCH', `/v1/items/${idemId}`, idemPatch, { n: 1 }),
    ],
    [
      'PATCH retried, same key (replay)',
      () => request('PATCH', `/v1/items/${idemId}`, idemPatch, { n: 1 }),
    ],
    ['POST lock (acquire a lease)', () => lockCall('POST')],
    ['POST lock, lease held (409)', () => request('POST', `/v1/items/${idemId}/lock`)],
    [
      'PUT without Lock-Token, leased (409)',
      () => request('PUT', `/v1/items/${idemId}`, { 'if-match': '"2"' }, { n: 2 }),
    ],
    [
      'PUT with Lock-Token',
      () =>
        request(
          'PUT',
          `/v1/items/${idemId}`,
          { 'if-match': '"2"', 'lock-token': lockToken },
          { n: 2 },
        ),
    ],
    ['PUT lock (renew)', () => lockCall('PUT')],
    ['DELETE lock (release)', () => lockCall('DELETE')],
  ];
  let lockToken = '';
  /** Lease calls on the idempotency document; acquire remembers the token for the rest. */
  async function lockCall(method: 'POST' | 'PUT' | 'DELETE') {
    const headers: Record<string, string> = method === 'POST' ? {} : { 'lock-token': lockToken };
    const response = await request(method, `/v1/items/${idemId}/lock`, headers);
    if (method === 'POST') lockToken = JSON.parse(String(response.body)).lockToken;
    return response;
  }
  const callRows: string[] = [];
  for (const [name, run] of operations) {
    calls = [];
    const response = await run();
    // Writes to API key records are the admission (authentication + rate limit).
    const admission = calls.filter((call) => call.admission).length;
    const operation = calls.filter((call) => !call.admission).map((call) => call.command);
    callRows.push(
      `| ${name} | ${response.statusCode} | ${admission} | ${operation.length} | ${operation.join(', ')} |`,
    );
  }

  // 2. Handler latency over a raw SDK call doing the same conditional write / read.
  const handlerId = `lat-${randomUUID().slice(0, 8)}`;
  const rawId = `raw-${randomUUID().slice(0, 8)}`;
  await request('POST', '/v1/items', {}, { id: handlerId, n: 0 });
  await request('POST', '/v1/items', {}, { id: rawId, n: 0 });
  const rawKey = itemKey({ tenant: record.tenant, collection: 'items', id: rawId });
  // The raw side pays for the same admission write the handler makes on every request.
  const rawAdmissionKey = apiKeyKey(hashApiKey(key));
  const rawAdmission = () =>
    client.send(
      new UpdateCommand({
        TableName: tableName,
        Key: rawAdmissionKey,
        UpdateExpression: 'SET #tat = :now + #interval, #allowAt = :now + #slack',
        ConditionExpression:
          'attribute_exists(#pk) AND attribute_not_exists(#revokedAt) AND #allowAt <= :now',
        ExpressionAttributeNames: {
          '#pk': 'pk',
          '#revokedAt': 'revokedAt',
          '#tat': 'tat',
          '#interval': 'intervalMs',
          '#allowAt': 'allowAt',
          '#slack': 'intervalLessToleranceMs',
        },
        ExpressionAttributeValues: { ':now': Date.now() },
        ReturnValues: 'ALL_NEW',
      }),
    );
  const timings = {
    handlerPut: [] as number[],
    rawPut: [] as number[],
    handlerGet: [] as number[],
    rawGet: [] as number[],
  };
  const time = async (into: number[], run: () => Promise<unknown>) => {
    const start = process.hrtime.bigint();
    await run();
    into.push(Number(process.hrtime.bigint() - start) / 1e6);
  };
  for (let i = 1; i <= iterations; i++) {
    await time(timings.handlerPut, async () => {
      const r = await request('PUT', `/v1/items/${handlerId}`, { 'if-match': `"${i}"` }, { n: i });
      if (r.statusCode !== 200) throw new Error(`unexpected ${r.statusCode} ${r.body}`);
    });
    await time(timings.rawPut, async () => {
      await rawAdmission();
      await client.send(
        new UpdateCommand({
          TableName: tableName,
          Key: rawKey,
          UpdateExpression: 'SET #body = :body, #version = #version + :one, #updatedAt = :now',
          ConditionExpression: '#state = :live AND #version IN (:v)',
          ExpressionAttributeNames: {
            '#body': 'body',
            '#version': 'version',
            '#state': 'state',
            '#updatedAt': 'updatedAt',
          },
          ExpressionAttributeValues: {
            ':body': JSON.stringify({ n: i }),
            ':one': 1,
            ':now': new Date().toISOString(),
            ':live': 'live',
            ':v': i,
          },
          ReturnValues: 'ALL_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
    });
    await time(timings.handlerGet, () => request('GET', `/v1/items/${handlerId}`));
    await time(timings.rawGet, async () => {
      await rawAdmission();
      await client.send(
        new GetCommand({ TableName: tableName, Key: rawKey, ConsistentRead: true }),
      );
    });
  }
  const m = Object.fromEntries(Object.entries(timings).map(([k, v]) => [k, median(v)])) as Record<
    keyof typeof timings,
    number
  >;
  client.destroy();

  const markdown = [
    '### DynamoDB calls per API operation',
    '',
    '| operation | status | admission calls (auth + rate limit) | operation calls | operation commands |',
    '|---|---|---|---|---|',
    ...callRows,
    '',
    `### Handler latency over raw SDK calls (medians of ${iterations} interleaved runs)`,
    '',
    'Both sides make the same two DynamoDB requests: the API key admission write and the operation.',
    '',
    '| operation | handler p50 (ms) | raw SDK p50 (ms) | ratio |',
    '|---|---|---|---|',
    `| conditional replace (PUT If-Match vs 2 × UpdateItem) | ${m.handlerPut.toFixed(2)} | ${m.rawPut.toFixed(2)} | ${(m.handlerPut / m.rawPut).toFixed(2)}× |`,
    `| read (GET vs UpdateItem + GetItem) | ${m.handlerGet.toFixed(2)} | ${m.rawGet.toFixed(2)} | ${(m.handlerGet / m.rawGet).toFixed(2)}× |`,
    '',
  ].join('\n');
  return { markdown };
};
