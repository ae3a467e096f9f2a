/**
 * `npm run keys -- <command>`: manage API keys.
 *
 *   create --tenant T [--scopes read,write] [--quota N] [--window SECONDS] [--name TEXT]
 *   list
 *   revoke KEY_ID
 *
 * Against the local table by default (the running `npm start`, or a DynamoDB
 * Local started for the command on the same data folder); against a deployed
 * stack with `--table NAME`, using the AWS credentials and region of the
 * environment (`--endpoint` points that at another DynamoDB Local).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import type { ApiKeyStore } from '../functions/core/api-keys';
import { DEFAULT_RATE_LIMIT, parseConfig, type RateLimitConfig } from '../functions/core/config';
import { createApiKey, KeyAdminError } from '../functions/core/key-admin';
import { createDocumentClient } from '../functions/store/client';
import { createDynamoApiKeyStore } from '../functions/store/dynamo-api-key-store';
import {
  type DynamoLocal,
  ensureTable,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  startDynamoLocal,
} from './dynamo-local';
import {
  configPathFromEnv,
  dataDirFromEnv,
  dynamoDbPath,
  ENDPOINT_FILE,
  LOCAL_TABLE_NAME,
} from './paths';

const USAGE = `usage: npm run keys -- <create|list|revoke> [options]
  create --tenant T [--scopes read,write] [--quota N] [--window SECONDS] [--name TEXT]
  list
  revoke KEY_ID
options: --table NAME (a deployed table; AWS credentials from the environment)
         --endpoint URL (with --table: a DynamoDB Local of your own)
         --data-dir DIR (the local data folder; default .concord or CONCORD_DATA_DIR)
         --help (this text)`;

/** A mistake in the command line: the usage is printed and the exit code is 2. */
class UsageError extends Error {}
/** A command that was understood but cannot be done (no such key): exit code 1. */
class CommandError extends Error {}

const OPTIONS = {
  tenant: { type: 'string' },
  scopes: { type: 'string', default: 'read,write' },
  quota: { type: 'string' },
  window: { type: 'string' },
  name: { type: 'string', default: '' },
  table: { type: 'string' },
  endpoint: { type: 'string' },
  'data-dir': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** The command line; a mistake in it is a usage message, never a stack trace. */
const parseCommandLine = (argv: string[]) => {
  try {
    return parseArgs({ args: argv, allowPositionals: true, options: OPTIONS });
  } catch (error) {
    throw new UsageError(`${(error as Error).message}\n${USAGE}`);
  }
};

/** Quota and window defaults: the `rateLimit` of the configuration `npm start` uses. */
const configuredRateLimit = (): RateLimitConfig => {
  try {
    return parseConfig(JSON.parse(readFileSync(configPathFromEnv(), 'utf8'))).rateLimit;
  } catch {
    return DEFAULT_RATE_LIMIT;
  }
};

const reachable = async (endpoint: string): Promise<boolean> => {
  try {
    await fetch(endpoint, { signal: AbortSignal.timeout(1_000) });
    return true;
  } catch {
    return false;
  }
};

/** The store to work on, and how to let go of it afterwards. */
const openStore = async (
  table: string | undefined,
  endpoint: string | undefined,
  dataDir: string,
): Promise<{ store: ApiKeyStore; close(): Promise<void> }> => {
  if (table) {
    const client = createDocumentClient(
      endpoint ? { endpoint, region: LOCAL_REGION, credentials: LOCAL_CREDENTIALS } : {},
    );
    return {
      store: createDynamoApiKeyStore({ client, tableName: table }),
      close: async () => client.destroy(),
    };
  }
  const endpointFile = join(dataDir, ENDPOINT_FILE);
  let dynamo: DynamoLocal | undefined;
  // A running `npm start` publishes its DynamoDB Local; never open its data a second time.
  let local = existsSync(endpointFile) ? readFileSync(endpointFile, 'utf8').trim() : '';
  if (!local || !(await reachable(local))) {
    // No running `npm start`: open the same data folder for this command only.
    console.error(`Starting DynamoDB Local (data in ${dataDir}); this takes a few seconds…`);
    dynamo = await startDynamoLocal({ path: dynamoDbPath(dataDir) });
    local = dynamo.endpoint;
  }
  const client = createDocumentClient({
    endpoint: local,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  await ensureTable(client, LOCAL_TABLE_NAME);
  return {
    store: createDynamoApiKeyStore({ client, tableName: LOCAL_TABLE_NAME }),
    close: async () => {
      client.destroy();
      await dynamo?.stop();
    },
  };
};

const run = async (argv: string[]): Promise<void> => {
  const { values, positionals } = parseCommandLine(argv);
  const [command, arg] = positionals;
  if (values.help || command === 'help') {
    console.log(USAGE);
    return;
  }
  if (!command) throw new UsageError(USAGE);
  if (!['create', 'list', 'revoke'].includes(command)) {
    throw new UsageError(`unknown command "${command}"\n${USAGE}`);
  }
  if (command === 'create' && !values.tenant) {
    throw new UsageError(`create needs --tenant\n${USAGE}`);
  }
  if (command === 'revoke' && !arg) {
    throw new UsageError(`revoke needs a KEY_ID (see list)\n${USAGE}`);
  }
  const dataDir = values['data-dir'] !== undefined ? resolve(values['data-dir']) : dataDirFromEnv();
  if (values.endpoint && !values.table) {
    throw new UsageError(`--endpoint goes with --table\n${USAGE}`);
  }
  const { store, close } = await openStore(values.table, values.endpoint, dataDir);
  try {
    if (command === 'create') {
      const defaults = configuredRateLimit();
      const { key, record } = await createApiKey(store, {
        tenant: values.tenant ?? '',
        scopes: values.scopes.split(',').map((s) => s.trim()),
        quota: Number(values.quota ?? defaults.defaultQuota),
        windowSeconds: Number(values.window ?? defaults.windowSeconds),
        name: values.name,
      });
      console.log(
        `key id  ${record.keyId}\ntenant  ${record.tenant}\nscopes  ${record.scopes.join(',')}`,
      );
      console.log(
        `rate    ${record.quota} requests per ${record.windowSeconds} s, bursts up to ${record.quota}`,
      );
      console.log(`\n${key}\n\nThis is the only time the key is shown; only its hash is stored.`);
    } else if (command === 'list') {
      const keys = await store.list();
      console.log(
        'key id            tenant            name              scopes      quota  window  created                   revoked',
      );
      for (const k of keys.sort((a, b) => a.createdAt.localeCompare(b.createdAt))) {
        console.log(
          [
            k.keyId.padEnd(17),
            k.tenant.padEnd(17),
            (k.name || '-').padEnd(17),
            k.scopes.join(',').padEnd(11),
            String(k.quota).padStart(5),
            `${k.windowSeconds}s`.padStart(7),
            ` ${k.createdAt}`,
            ` ${k.revokedAt ?? '-'}`,
          ].join(' '),
        );
      }
    } else if (arg) {
      if (!(await store.revoke(arg, new Date().toISOString())))
        throw new CommandError(`no key with id ${arg}`);
      console.log(`revoked ${arg}; requests with it are refused from now on`);
    }
  } finally {
    await close();
  }
};

run(process.argv.slice(2)).catch((error: unknown) => {
  const known =
    error instanceof UsageError || error instanceof CommandError || error instanceof KeyAdminError;
  console.error(known ? (error as Error).message : error);
  process.exit(error instanceof UsageError ? 2 : 1);
});
