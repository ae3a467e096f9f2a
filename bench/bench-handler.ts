/**
 * The in-process handler the items benchmarks drive: the real handler over a
 * fresh table on the given DynamoDB Local, with SDK middleware that counts
 * every DynamoDB call (so call counts are measured, never estimated).
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import type { ApiKeyRecord } from '../functions/core/api-keys';
import { parseConfig } from '../functions/core/config';
import { createApiKey } from '../functions/core/key-admin';
import { createHttpHandler } from '../functions/http/app';
import { matchRoute } from '../functions/http/route-match';
import { createDocumentClient } from '../functions/store/client';
import { createDynamoApiKeyStore } from '../functions/store/dynamo-api-key-store';
import { createDynamoItemStore } from '../functions/store/dynamo-item-store';
import { API_KEY_PARTITION_PREFIX, TABLE_KEYS } from '../functions/store/keys';
import { toApiGatewayEvent } from '../local/api-gateway-event';
import { ensureTable, LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/dynamo-local';

/** `items` as shipped (history on, preconditions required) and `people` with a unique field. */
export const BENCH_HANDLER_CONFIG = parseConfig({
  collections: [{ name: 'items' }, { name: 'people', unique: ['email'] }],
});

export interface CountedCall {
  /** e.g. `TransactWriteItemsCommand`. */
  readonly command: string;
  /** A write on an API key record: the admission (authentication + rate limit). */
  readonly admission: boolean;
}

export type BenchRequest = (
  method: string,
  url: string,
  headers?: Record<string, string>,
  body?: unknown,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface BenchHandler {
  readonly client: DynamoDBDocumentClient;
  readonly tableName: string;
  /** The API key every request carries, and its record. */
  readonly key: string;
  readonly record: ApiKeyRecord;
  readonly request: BenchRequest;
  /** The calls made since the last take. */
  readonly takeCalls: () => CountedCall[];
  close(): void;
}

export const startBenchHandler = async (endpoint: string): Promise<BenchHandler> => {
  const tableName = `bench-${randomUUID().slice(0, 8)}`;
  const client = createDocumentClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  await ensureTable(client, tableName);
  let calls: CountedCall[] = [];
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
    config: BENCH_HANDLER_CONFIG,
    store: createDynamoItemStore({ client, tableName }),
    keys,
  });

  const request: BenchRequest = async (method, url, headers = {}, body) => {
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

  return {
    client,
    tableName,
    key,
    record,
    request,
    takeCalls: () => {
      const taken = calls;
      calls = [];
      return taken;
    },
    close: () => client.destroy(),
  };
};
