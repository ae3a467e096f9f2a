/**
 * `npm start`: the API on http://127.0.0.1:3000 over an embedded, persistent
 * DynamoDB Local, restarted if it dies. Environment: PORT, HOST,
 * CONCORD_DATA_DIR, CONCORD_CONFIG, CONCORD_DEV_API_KEY, DYNAMODB_PORT (see README).
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
import { createDocumentClient } from '../functions/store/client';
import { createDynamoApiKeyStore } from '../functions/store/dynamo-api-key-store';
import { createDynamoItemStore } from '../functions/store/dynamo-item-store';
import { createDynamoSubscriptionStore } from '../functions/store/dynamo-subscription-store';
import { TABLE_NAME_ENV } from '../functions/store/keys';
import { awaitLocalCommits } from './commit-barrier';
import { ensureDevKey } from './dev-key';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from './dynamo-admin';
import { dynamoDbPath, ENDPOINT_FILE, LOCAL_TABLE_NAME } from './paths';
import { createLocalServer, type LocalHandler, type LocalServer } from './server';
import { devKeyError, listenError, settingsFromEnv, startupFailureMessage } from './startup';
import { startStreamReader } from './stream-reader';
import { ensureTableOn, type SupervisedDynamo, superviseDynamoLocal } from './supervisor';

const TABLE_NAME = LOCAL_TABLE_NAME;
/** A receiver on the developer's machine may listen on loopback, over plain http. */
const WEBHOOKS = { localMode: true } as const;

/** The handlers over one DynamoDB Local endpoint, and how to let go of its client. */
const connect = (
  config: ConcordConfig,
  endpoint: string,
  observer: RequestObserver | undefined,
) => {
  const client = createDocumentClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const barrierClient = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  awaitLocalCommits(client, barrierClient);
  const keys = createDynamoApiKeyStore({ client, tableName: TABLE_NAME });
  const store = createDynamoItemStore({ client, tableName: TABLE_NAME });
  const subscriptions = createDynamoSubscriptionStore({ client, tableName: TABLE_NAME });
  // The same delivery code as the stream function on AWS, fed by DynamoDB Local's stream.
  const processor = createStreamProcessor({
    subscriptions,
    transport: createWebhookTransport({ policy: WEBHOOKS }),
  });
  const webhooks = startStreamReader({
    endpoint,
    tableName: TABLE_NAME,
    // Changes made while the server was down are not delivered on the next start.
    from: 'latest',
    log: (line) => console.error(`concord: ${line}`),
    onRecords: async (records) => {
      const { deliveries } = await processor.process(records);
      for (const d of deliveries.flat()) {
        const { outcome } = d;
        const result =
          outcome.kind === 'delivered' ? `${outcome.status}` : `${outcome.kind}: ${outcome.reason}`;
        console.error(
          `concord: webhook ${d.type} ${d.eventId} to subscription ${d.subscriptionId}: ${result} (${d.attempts} attempt${d.attempts === 1 ? '' : 's'})`,
        );
      }
    },
  });
  return {
    endpoint,
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
      barrierClient.destroy();
      void webhooks.close().finally(() => client.destroy());
    },
  };
};

const main = async (): Promise<void> => {
  const { port, host, dynamoPort, dataDir, config, observer } = settingsFromEnv();
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
    await connection?.webhooks.close().catch(() => undefined);
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

  let connection: ReturnType<typeof connect>;
  try {
    dynamo = await superviseDynamoLocal({
      path: dynamoDbPath(dataDir),
      ...(dynamoPort ? { port: dynamoPort } : {}),
      prepare: ensureTableOn(TABLE_NAME),
      log: (line) => console.error(`concord: ${line}`),
      onRestart: (next) => {
        publish(next.endpoint);
        // On the same port the clients reconnect by themselves; on another
        // one (the old port was taken meanwhile) they need replacing.
        if (next.endpoint === connection.endpoint) return;
        const previous = connection;
        connection = connect(config, next.endpoint, observer);
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

  process.env[TABLE_NAME_ENV] = TABLE_NAME;
  const { endpoint, pid } = dynamo.current();
  connection = connect(config, endpoint, observer);
  await connection.webhooks.ready.catch((error: unknown) => {
    console.error(`concord: webhooks: cannot read the table's stream: ${(error as Error).message}`);
  });
  const devKey = await ensureDevKey(connection.keys, dataDir, {
    quota: config.rateLimit.defaultQuota,
    windowSeconds: config.rateLimit.windowSeconds,
  }).catch((error: unknown) => {
    throw devKeyError(error);
  });
  ready(connection.handler);
  publish(endpoint);
  console.log(`Concord listening on ${server.url}`);
  console.log(`Development API key: ${devKey}  (Authorization: Bearer <key>)`);
  console.log(`DynamoDB Local on ${endpoint} (pid ${pid}, data in ${dataDir})`);
};

main().catch((error: unknown) => {
  console.error(startupFailureMessage(error));
  process.exit(1);
});
