/**
 * `npm start`: the API on http://127.0.0.1:3000 over an embedded, persistent
 * DynamoDB Local. Environment: PORT, HOST, CONCORD_DATA_DIR, CONCORD_CONFIG,
 * DYNAMODB_PORT (see README).
 */
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { ConfigError, parseConfig } from '../functions/core/config';
import { createHttpHandler } from '../functions/http/app';
import { createDocumentClient } from '../functions/store/client';
import { createDynamoApiKeyStore } from '../functions/store/dynamo-api-key-store';
import { createDynamoItemStore } from '../functions/store/dynamo-item-store';
import { TABLE_NAME_ENV } from '../functions/store/keys';
import { ensureDevKey } from './dev-key';
import {
  type DynamoLocal,
  DynamoPortInUseError,
  ensureTable,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  localDynamoClient,
  startDynamoLocal,
} from './dynamo-local';
import { JavaMissingError } from './java';
import {
  configPathFromEnv,
  dataDirFromEnv,
  dynamoDbPath,
  ENDPOINT_FILE,
  LOCAL_TABLE_NAME,
} from './paths';
import { requestLogFromEnv } from './request-log';
import { createLocalServer, type LocalHandler, type LocalServer, PortInUseError } from './server';

const TABLE_NAME = LOCAL_TABLE_NAME;

/** A startup failure whose message is the whole story: printed without a stack. */
class StartupError extends Error {}

const portFrom = (name: string, fallback: number | undefined): number | undefined => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new StartupError(`${name} must be a port number (0–65535), got "${raw}"`);
  }
  return port;
};

const readConfig = (path: string) => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new StartupError(`cannot read ${path}: ${(error as Error).message}`);
  }
  try {
    return parseConfig(JSON.parse(text));
  } catch (error) {
    throw new StartupError(`${path}: ${(error as Error).message}`);
  }
};

const main = async (): Promise<void> => {
  const port = portFrom('PORT', 3000) ?? 3000;
  const host = process.env.HOST || '127.0.0.1';
  const dynamoPort = portFrom('DYNAMODB_PORT', undefined);
  const dataDir = dataDirFromEnv();
  const config = readConfig(configPathFromEnv());
  let observer: ReturnType<typeof requestLogFromEnv>;
  try {
    observer = requestLogFromEnv();
  } catch (error) {
    throw new StartupError((error as Error).message);
  }

  // Listen before starting Java, so a busy port fails in milliseconds, not
  // after a JVM start; requests arriving meanwhile wait for the handler.
  let ready!: (handler: LocalHandler) => void;
  const handlerReady = new Promise<LocalHandler>((resolveHandler) => {
    ready = resolveHandler;
  });
  const server: LocalServer = await createLocalServer({
    host,
    port,
    handler: async (event: APIGatewayProxyEventV2, context: Context) =>
      (await handlerReady)(event, context),
  });

  let dynamo: DynamoLocal | undefined;
  let stopping = false;
  const shutdown = async (signal: NodeJS.Signals): Promise<void> => {
    if (stopping) {
      // A second Ctrl-C: stop waiting. The exit hook still kills Java.
      process.exit(1);
    }
    stopping = true;
    console.log(`\n${signal}: stopping`);
    await server.close().catch(() => undefined);
    rmSync(join(dataDir, ENDPOINT_FILE), { force: true });
    await dynamo?.stop();
    process.exit(0);
  };
  process.on('SIGINT', (signal) => void shutdown(signal));
  process.on('SIGTERM', (signal) => void shutdown(signal));

  try {
    dynamo = await startDynamoLocal({
      path: dynamoDbPath(dataDir),
      ...(dynamoPort ? { port: dynamoPort } : {}),
    });
    const admin = localDynamoClient(dynamo.endpoint);
    await ensureTable(admin, TABLE_NAME).finally(() => admin.destroy());
  } catch (error) {
    await server.close().catch(() => undefined);
    await dynamo?.stop();
    throw error;
  }

  process.env[TABLE_NAME_ENV] = TABLE_NAME;
  const client = createDocumentClient({
    endpoint: dynamo.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  const keys = createDynamoApiKeyStore({ client, tableName: TABLE_NAME });
  const devKey = await ensureDevKey(keys, dataDir, {
    quota: config.rateLimit.defaultQuota,
    windowSeconds: config.rateLimit.windowSeconds,
  });
  const store = createDynamoItemStore({ client, tableName: TABLE_NAME });
  ready(createHttpHandler({ config, store, keys, observer }));
  // Lets `npm run keys` work on this running instance's data.
  writeFileSync(join(dataDir, ENDPOINT_FILE), `${dynamo.endpoint}\n`);
  console.log(`Concord listening on ${server.url}`);
  console.log(`Development API key: ${devKey}  (Authorization: Bearer <key>)`);
  console.log(`DynamoDB Local on ${dynamo.endpoint} (pid ${dynamo.pid}, data in ${dataDir})`);
};

main().catch((error: unknown) => {
  const known =
    error instanceof StartupError ||
    error instanceof PortInUseError ||
    error instanceof DynamoPortInUseError ||
    error instanceof JavaMissingError ||
    error instanceof ConfigError;
  console.error(known ? `concord: ${(error as Error).message}` : error);
  process.exit(1);
});
