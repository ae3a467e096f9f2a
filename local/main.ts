/**
 * `npm start`: the API on http://127.0.0.1:3000 over an embedded, persistent
 * DynamoDB Local, restarted if it dies; or over the DynamoDB that
 * AWS_ENDPOINT_URL_DYNAMODB names, without starting Java. Environment: PORT,
 * HOST, CONCORD_DATA_DIR, CONCORD_CONFIG, CONCORD_DEV_API_KEY, DYNAMODB_PORT,
 * AWS_ENDPOINT_URL_DYNAMODB, CONCORD_TABLE_NAME (see README).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import type { ConcordConfig } from '../functions/core/config';
import { createHttpHandler } from '../functions/http/app';
import type { RequestObserver } from '../functions/http/observability';
import { createStreamProcessor } from '../functions/http/webhook-stream';
import { createWebhookTransport } from '../functions/http/webhook-transport';
import { createDocumentClient, type DocumentClientOptions } from '../functions/store/client';
import { createDynamoApiKeyStore } from '../functions/store/dynamo-api-key-store';
import { createDynamoItemStore } from '../functions/store/dynamo-item-store';
import { createDynamoSubscriptionStore } from '../functions/store/dynamo-subscription-store';
import { TABLE_NAME_ENV } from '../functions/store/keys';
import { awaitLocalCommits } from './commit-barrier';
import { ensureDevKey } from './dev-key';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './dynamo-admin';
import { ENDPOINT_ENV, ensureExternalTable, externalDynamoFromEnv } from './external-dynamo';
import { dynamoDbPath, ENDPOINT_FILE, LOCAL_TABLE_NAME } from './paths';
import { createLocalServer, type LocalHandler, type LocalServer } from './server';
import { devKeyError, listenError, settingsFromEnv, startupFailureMessage } from './startup';
import { startStreamReader } from './stream-reader';
import { ensureTableOn, type SupervisedDynamo, superviseDynamoLocal } from './supervisor';

/** A receiver on the developer's machine may listen on loopback, over plain http. */
const WEBHOOKS = { localMode: true } as const;

/** The handlers over one DynamoDB endpoint, and how to let go of its client. */
const connect = (
  tableName: string,
  config: ConcordConfig,
  endpoint: string,
  observer: RequestObserver | undefined,
  options: DocumentClientOptions = {
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  },
) => {
  const client = createDocumentClient(options);
  // Only DynamoDB Local acknowledges a transaction before it is durable; a
  // real table (credentials of its own) needs no barrier read.
  const barrierClient = options.credentials
    ? new DynamoDBClient({
        endpoint: options.endpoint,
        region: options.region,
        credentials: options.credentials,
      })
    : undefined;
  if (barrierClient) awaitLocalCommits(client, barrierClient);
  const keys = createDynamoApiKeyStore({ client, tableName });
  const store = createDynamoItemStore({ client, tableName });
  const subscriptions = createDynamoSubscriptionStore({ client, tableName });
  // The same delivery code as the stream function on AWS, fed by DynamoDB
  // Local's stream. A real table's stream is the deployed function's to read.
  const processor = createStreamProcessor({
    subscriptions,
    transport: createWebhookTransport({ policy: WEBHOOKS }),
  });
  const webhooks = barrierClient
    ? startStreamReader({
        endpoint,
        tableName,
        // Changes made while the server was down are not delivered on the next start.
        from: 'latest',
        log: (line) => console.error(`concord: ${line}`),
        onRecords: async (records) => {
          const { deliveries } = await processor.process(records);
          for (const d of deliveries.flat()) {
            const { outcome } = d;
            const result =
              outcome.kind === 'delivered'
                ? `${outcome.status}`
                : `${outcome.kind}: ${outcome.reason}`;
            console.error(
              `concord: webhook ${d.type} ${d.eventId} to subscription ${d.subscriptionId}: ${result} (${d.attempts} attempt${d.attempts === 1 ? '' : 's'})`,
            );
          }
        },
      })
    : undefined;
  return {
    endpoint,
    client,
    keys,
    handler: createHttpHandler({
      config,
      store,
      keys,
      observer,
      subscriptions,
      webhooks: WEBHOOKS,
    }) as LocalHandler,
    webhooks,
    close: () => {
      barrierClient?.destroy();
      if (!webhooks) return client.destroy();
      void webhooks.close().finally(() => client.destroy());
    },
  };
};

const main = async (): Promise<void> => {
  const { port, host, dynamoPort, dataDir, config, observer } = settingsFromEnv();
  const external = externalDynamoFromEnv();
  const tableName = external?.tableName ?? LOCAL_TABLE_NAME;
  const endpointFile = join(dataDir, ENDPOINT_FILE);
  // Lets `npm run keys` work on this running instance's data.
  const publish = (endpoint: string) => writeFileSync(endpointFile, `${endpoint}\n`);

  // Listen before starting Java, so a busy port fails in milliseconds, not
  // after a JVM start; requests arriving meanwhile wait for the handler.
  let ready!: (handler: LocalHandler) => void;
  let current: Promise<LocalHandler> = new Promise((resolve) => {
    ready = resolve;
  });
  const server: LocalServer = await createLocalServer({
    host,
    port,
    handler: async (event: APIGatewayProxyEventV2, context: Context) =>
      (await current)(event, context),
  }).catch((error: unknown) => {
    throw listenError(host, port, error);
  });

  let dynamo: SupervisedDynamo | undefined;
  let stopping = false;
  const stop = async (code: number): Promise<never> => {
    stopping = true;
    await server.close().catch(() => undefined);
    rmSync(endpointFile, { force: true });
    await connection?.webhooks?.close().catch(() => undefined);
    await dynamo?.stop();
    process.exit(code);
  };
  const shutdown = (signal: NodeJS.Signals): void => {
    // A second Ctrl-C: stop waiting. The exit hook still kills Java.
    if (stopping) process.exit(1);
    console.log(`\n${signal}: stopping`);
    void stop(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  // Started by `npm run dev`: end with it, even when it was killed too hard to say so.
  if (process.connected) process.once('disconnect', () => void stop(0));

  let connection: ReturnType<typeof connect>;
  let where: string;
  if (external) {
    console.log(
      `Using the DynamoDB at ${external.endpoint} (${ENDPOINT_ENV}), table ${tableName}; not starting DynamoDB Local`,
    );
    connection = connect(tableName, config, external.endpoint, observer, external.client);
    try {
      await ensureExternalTable(connection.client, external);
    } catch (error) {
      connection.close();
      await server.close().catch(() => undefined);
      throw error;
    }
    where = `DynamoDB at ${external.endpoint} (table ${tableName}, dev key in ${dataDir})`;
  } else {
    console.log(`Starting DynamoDB Local (data in ${dataDir}); this takes a few seconds…`);
    try {
      dynamo = await superviseDynamoLocal({
        path: dynamoDbPath(dataDir),
        ...(dynamoPort ? { port: dynamoPort } : {}),
        prepare: ensureTableOn(tableName),
        log: (line) => console.error(`concord: ${line}`),
        onRestart: (next) => {
          publish(next.endpoint);
          // On the same port the clients reconnect by themselves; on another
          // one (the old port was taken meanwhile) they need replacing.
          if (next.endpoint === connection.endpoint) return;
          const previous = connection;
          connection = connect(tableName, config, next.endpoint, observer);
          current = Promise.resolve(connection.handler);
          previous.close();
        },
        onGiveUp: (message) => {
          console.error(`concord: ${message}`);
          void stop(1);
        },
      });
    } catch (error) {
      await server.close().catch(() => undefined);
      throw error;
    }
    const { endpoint, pid } = dynamo.current();
    connection = connect(tableName, config, endpoint, observer);
    where = `DynamoDB Local on ${endpoint} (pid ${pid}, data in ${dataDir})`;
  }

  process.env[TABLE_NAME_ENV] = tableName;
  await connection.webhooks?.ready.catch((error: unknown) => {
    console.error(`concord: webhooks: cannot read the table's stream: ${(error as Error).message}`);
  });
  const devKey = await ensureDevKey(connection.keys, dataDir, {
    quota: config.rateLimit.defaultQuota,
    windowSeconds: config.rateLimit.windowSeconds,
  }).catch((error: unknown) => {
    throw devKeyError(error);
  });
  ready(connection.handler);
  // `npm run keys` reaches it with local credentials: only worth it for a local DynamoDB.
  if (!external || external.client.credentials) publish(connection.endpoint);
  console.log(`Concord listening on ${server.url}`);
  console.log(`Development API key: ${devKey}  (Authorization: Bearer <key>)`);
  console.log(where);
};

main().catch((error: unknown) => {
  console.error(startupFailureMessage(error));
  process.exit(1);
});
