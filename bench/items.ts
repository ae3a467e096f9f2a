/**
 * Items API benchmark, one run against DynamoDB Local:
 *  1. DynamoDB calls per API operation, on the success and the conflict path,
 *     without and with an Idempotency-Key (bench/calls.ts);
 *  2. the in-process handler's median latency over raw SDK calls making the
 *     same requests, interleaved so both see the same machine noise.
 */
import { randomUUID } from 'node:crypto';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { hashApiKey } from '../functions/core/api-keys';
import { apiKeyKey } from '../functions/store/api-key-requests';
import { historyKey } from '../functions/store/history-requests';
import { itemKey } from '../functions/store/item-requests';
import { startBenchHandler } from './bench-handler';
import { measureCalls } from './calls';

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
  const bench = await startBenchHandler(endpoint);
  const { client, tableName, key, record, request } = bench;

  // 1. Calls per operation.
  const callsTable = await measureCalls(bench);

  // 2. Handler latency over raw SDK calls making the same requests.
  const handlerId = `lat-${randomUUID().slice(0, 8)}`;
  const rawId = `raw-${randomUUID().slice(0, 8)}`;
  await request('POST', '/v1/items', {}, { id: handlerId, n: 0 });
  await request('POST', '/v1/items', {}, { id: rawId, n: 0 });
  const rawItem = { tenant: record.tenant, collection: 'items', id: rawId };
  const rawKey = itemKey(rawItem);
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
      // The write and its version's history entry, as one transaction.
      const now = new Date().toISOString();
      await client.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Update: {
                TableName: tableName,
                Key: rawKey,
                UpdateExpression:
                  'SET #body = :body, #version = :next, #updatedAt = :now, #state = :live',
                ConditionExpression: '#state = :live AND #version = :v',
                ExpressionAttributeNames: {
                  '#body': 'body',
                  '#version': 'version',
                  '#state': 'state',
                  '#updatedAt': 'updatedAt',
                },
                ExpressionAttributeValues: {
                  ':body': JSON.stringify({ n: i }),
                  ':next': i + 1,
                  ':now': now,
                  ':live': 'live',
                  ':v': i,
                },
                ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
              },
            },
            {
              Put: {
                TableName: tableName,
                Item: { ...historyKey(rawItem, i + 1), version: i + 1, time: now, body: '{}' },
                ConditionExpression: 'attribute_not_exists(#pk)',
                ExpressionAttributeNames: { '#pk': 'pk' },
              },
            },
          ],
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
  bench.close();

  const markdown = [
    callsTable,
    '',
    `### Handler latency over raw SDK calls (medians of ${iterations} interleaved runs)`,
    '',
    'Both sides make the same two DynamoDB requests: the API key admission write and the operation',
    '(for the replace, one TransactWriteItems with the document update and its history entry).',
    '',
    '| operation | handler p50 (ms) | raw SDK p50 (ms) | ratio |',
    '|---|---|---|---|',
    `| conditional replace (PUT If-Match vs UpdateItem + TransactWriteItems) | ${m.handlerPut.toFixed(2)} | ${m.rawPut.toFixed(2)} | ${(m.handlerPut / m.rawPut).toFixed(2)}× |`,
    `| read (GET vs UpdateItem + GetItem) | ${m.handlerGet.toFixed(2)} | ${m.rawGet.toFixed(2)} | ${(m.handlerGet / m.rawGet).toFixed(2)}× |`,
    '',
  ].join('\n');
  return { markdown };
};
