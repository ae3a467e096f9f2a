/**
 * The whole API over HTTP for integration tests: the real handler
 * (createHttpHandler + the DynamoDB store) behind the local adapter, on a
 * fresh table and a free port.
 *
 * ```ts
 * const api = await startApi();
 * afterAll(() => api.close());
 * const res = await fetch(`${api.baseUrl}/v1/items/a`, { headers: api.headers });
 * ```
 */
import { readFileSync } from 'node:fs';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { AccessOptions } from '../../functions/core/access';
import type { ApiKeyStore } from '../../functions/core/api-keys';
import { type ConcordConfig, parseConfig } from '../../functions/core/config';
import type { ItemStore } from '../../functions/core/items-model';
import { createApiKey } from '../../functions/core/key-admin';
import { createHttpHandler, type HttpHandler } from '../../functions/http/app';
import type { RequestObserver } from '../../functions/http/observability';
import { buildOpenApi } from '../../functions/http/openapi';
import { createDynamoApiKeyStore } from '../../functions/store/dynamo-api-key-store';
import { createDynamoItemStore } from '../../functions/store/dynamo-item-store';
import { createDynamoSubscriptionStore } from '../../functions/store/dynamo-subscription-store';
import { createLocalServer } from '../../local/server';
import { createTestTable, testDocumentClient, uniqueName } from './local-dynamo';

export interface TestApi {
  /** e.g. `http://127.0.0.1:41234`, no trailing slash. */
  readonly baseUrl: string;
  /** The fresh table behind this API instance. */
  readonly tableName: string;
  /** A read+write API key of a fresh tenant, registered in this table. */
  readonly apiKey: string;
  readonly tenant: string;
  /** `{ authorization: 'Bearer <apiKey>' }`, to spread into request headers. */
  readonly headers: { readonly authorization: string };
  /** The API key store over the same table, to make, list and revoke more keys. */
  readonly keys: ApiKeyStore;
  /** A DocumentClient on the same DynamoDB Local, to inspect or seed the table. */
  readonly client: DynamoDBDocumentClient;
  /**
   * Stops the HTTP server and releases the client; throws if the API answered
   * a status that the OpenAPI document does not list for the route.
   */
  close(): Promise<void>;
}

type Paths = Record<string, Record<string, { responses: Record<string, unknown> }>>;

/** The statuses the OpenAPI document lists for each route key, e.g. `GET /v1/{collection}`. */
export const documentedStatuses = (): Map<string, Set<number>> => {
  const paths = buildOpenApi().paths as Paths;
  const statuses = new Map<string, Set<number>>();
  for (const [path, operations] of Object.entries(paths)) {
    for (const [method, operation] of Object.entries(operations)) {
      statuses.set(
        `${method.toUpperCase()} ${path}`,
        new Set(Object.keys(operation.responses).map(Number)),
      );
    }
  }
  return statuses;
};

/**
 * Records every answer whose status the OpenAPI document does not list for
 * its route, so that every integration test also checks the document.
 */
const checkedAgainstOpenApi = (handler: HttpHandler, undocumented: Set<string>): HttpHandler => {
  const documented = documentedStatuses();
  return async (event, context) => {
    const response = await handler(event, context);
    const statuses = documented.get(event.routeKey);
    const status = response.statusCode ?? 200;
    if (statuses && !statuses.has(status)) undocumented.add(`${event.routeKey} answered ${status}`);
    return response;
  };
};

/** The configuration `npm start` uses: the project's concord.config.json. */
export const defaultConfig = (): ConcordConfig =>
  parseConfig(
    JSON.parse(readFileSync(new URL('../../concord.config.json', import.meta.url), 'utf8')),
  );

/**
 * Starts the API on 127.0.0.1 with a free port over a fresh random table,
 * with one API key (`headers`) for a fresh tenant.
 *
 * @param options.config the collection configuration; default: concord.config.json
 * @param options.quota the key's requests per rate window; default: high enough never to matter
 * @param options.storeClient the DocumentClient under the item store (e.g. one with faults
 *   injected); the returned `client` stays a plain one
 * @param options.wrapStore wraps the DynamoDB item store the handler uses
 * @param options.wrapHandler wraps the HTTP handler the local server calls
 * @param options.access the admission's clock and settings; default: the real ones
 * @param options.localMode webhooks to loopback (and over http) allowed; default false, as on AWS
 * @param options.observer receives the record of each request
 */
export const startApi = async (
  options: {
    config?: ConcordConfig;
    quota?: number;
    storeClient?: DynamoDBDocumentClient;
    wrapStore?: (store: ItemStore) => ItemStore;
    wrapHandler?: (handler: HttpHandler) => HttpHandler;
    access?: Omit<AccessOptions, 'keys'>;
    localMode?: boolean;
    observer?: RequestObserver;
  } = {},
): Promise<TestApi> => {
  const tableName = await createTestTable();
  const client = testDocumentClient();
  const config = options.config ?? defaultConfig();
  const keys = createDynamoApiKeyStore({ client, tableName });
  const tenant = uniqueName('tenant');
  const { key: apiKey } = await createApiKey(keys, {
    tenant,
    scopes: ['read', 'write'],
    // High by default: tests that race hundreds of requests are not about rate limits.
    quota: options.quota ?? 1_000_000,
    windowSeconds: config.rateLimit.windowSeconds,
    name: 'test',
  });
  const dynamoStore = createDynamoItemStore({ client: options.storeClient ?? client, tableName });
  const store = options.wrapStore ? options.wrapStore(dynamoStore) : dynamoStore;
  const app = createHttpHandler({
    config,
    store,
    keys,
    subscriptions: createDynamoSubscriptionStore({ client, tableName }),
    webhooks: { localMode: options.localMode ?? false },
    ...(options.access ? { access: options.access } : {}),
    ...(options.observer ? { observer: options.observer } : {}),
  });
  const undocumented = new Set<string>();
  const wrapped = options.wrapHandler ? options.wrapHandler(app) : app;
  const handler = checkedAgainstOpenApi(wrapped, undocumented);
  const server = await createLocalServer({ handler, host: '127.0.0.1', port: 0 });
  return {
    baseUrl: server.url,
    tableName,
    apiKey,
    tenant,
    headers: { authorization: `Bearer ${apiKey}` },
    keys,
    client,
    close: async () => {
      await server.close();
      client.destroy();
      if (undocumented.size > 0) {
        throw new Error(
          `statuses missing from the OpenAPI document (functions/http/openapi.ts): ${[...undocumented].join('; ')}`,
        );
      }
    },
  };
};
