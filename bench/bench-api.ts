/**
 * The API the client benchmarks talk to: the real handler behind the local
 * HTTP adapter on 127.0.0.1, over a fresh table on the given DynamoDB Local.
 * Server construction lives only here, so changes to how the API is started
 * (e.g. API keys) are adapted in one place.
 */
import { randomUUID } from 'node:crypto';
import { parseConfig } from '../functions/core/config';
import { createApiKey } from '../functions/core/key-admin';
import { createHttpHandler } from '../functions/http/app';
import { createDocumentClient } from '../functions/store/client';
import { createDynamoApiKeyStore } from '../functions/store/dynamo-api-key-store';
import { createDynamoItemStore } from '../functions/store/dynamo-item-store';
import { ensureTable, LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/dynamo-local';
import { createLocalServer } from '../local/server';

export interface BenchApi {
  /** e.g. `http://127.0.0.1:41234`, no trailing slash. */
  readonly baseUrl: string;
  /** Bearer key for every route, once the API requires one. */
  readonly apiKey?: string;
  close(): Promise<void>;
}

/** A quota no benchmark run reaches: the figures measure contention, not the rate limit. */
const BENCH_QUOTA = 1_000_000;

/**
 * Collections of the benchmark server: `counters` opts out of required
 * preconditions so the naive, unconditional read-modify-write can be measured
 * at all; `items` is the default, precondition-required collection (conflict
 * policy `reject`); `tallies` merges stale writes with a `counter` rule on
 * `/n` and `merged` merges them without rules, both keeping enough history
 * that a writer's base is never dropped during a run.
 */
export const BENCH_CONFIG = parseConfig({
  rateLimit: { windowSeconds: 3600, defaultQuota: BENCH_QUOTA },
  collections: [
    { name: 'counters', requirePrecondition: false },
    { name: 'items' },
    {
      name: 'tallies',
      conflictPolicy: 'merge',
      fields: { '/n': 'counter' },
      history: { keepVersions: 10_000 },
    },
    { name: 'merged', conflictPolicy: 'merge', history: { keepVersions: 10_000 } },
  ],
});

/** Starts the API in this process on a free port over a fresh random table. */
export const startBenchApi = async (dynamoEndpoint: string): Promise<BenchApi> => {
  const tableName = `bench-${randomUUID().slice(0, 8)}`;
  const client = createDocumentClient({
    endpoint: dynamoEndpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  await ensureTable(client, tableName);
  const keys = createDynamoApiKeyStore({ client, tableName });
  const { key: apiKey } = await createApiKey(keys, {
    tenant: 'bench',
    scopes: ['read', 'write'],
    quota: BENCH_QUOTA,
    name: 'benchmark',
  });
  const handler = createHttpHandler({
    config: BENCH_CONFIG,
    store: createDynamoItemStore({ client, tableName }),
    keys,
  });
  const server = await createLocalServer({ handler, host: '127.0.0.1', port: 0 });
  return {
    baseUrl: server.url,
    apiKey,
    close: async () => {
      await server.close();
      client.destroy();
    },
  };
};
