/**
 * `npm start`'s settings from the environment, checked before anything
 * starts, and the one-line messages for everything that can stop it from
 * starting: a wrong setting is the user's to fix, not a stack trace to read.
 */
import { accessSync, constants, mkdirSync, readFileSync } from 'node:fs';
import { type ConcordConfig, ConfigError, parseConfig } from '../functions/core/config';
import { KeyAdminError } from '../functions/core/key-admin';
import type { RequestObserver } from '../functions/http/observability';
import { DynamoPortInUseError, DynamoStartError } from './dynamo-local';
import { JavaMissingError } from './java';
import { configPathFromEnv, dataDirFromEnv } from './paths';
import { requestLogFromEnv } from './request-log';
import { PortInUseError } from './server';

/** A start-up failure whose message is the whole story: printed without a stack. */
export class StartupError extends Error {
  constructor(message: string, options?: ErrorOptions) {
    super(message, options);
    this.name = 'StartupError';
  }
}

export interface StartSettings {
  readonly port: number;
  readonly host: string;
  /** Absent: any free port. */
  readonly dynamoPort: number | undefined;
  readonly dataDir: string;
  readonly config: ConcordConfig;
  /** Where request records go (`CONCORD_REQUEST_LOG`); none when off. */
  readonly observer: RequestObserver | undefined;
}

const portFrom = (name: string, fallback: number | undefined): number | undefined => {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const port = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isInteger(port) || port < 0 || port > 65_535) {
    throw new StartupError(`${name} must be a port number (0–65535), got "${raw}"`);
  }
  return port;
};

const readConfig = (path: string): ConcordConfig => {
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

/** The data folder must exist (it is made if need be) and be writable. */
const usableDataDir = (dataDir: string): string => {
  try {
    mkdirSync(dataDir, { recursive: true });
    accessSync(dataDir, constants.W_OK);
  } catch (error) {
    throw new StartupError(
      `the data folder ${dataDir} (CONCORD_DATA_DIR) is not a writable folder: ${(error as Error).message}`,
    );
  }
  return dataDir;
};

/** Reads and checks every setting, or throws a StartupError naming the one to fix. */
const observerFromEnv = (): RequestObserver | undefined => {
  try {
    return requestLogFromEnv();
  } catch (error) {
    throw new StartupError((error as Error).message);
  }
};

export const settingsFromEnv = (): StartSettings => ({
  observer: observerFromEnv(),
  port: portFrom('PORT', 3000) ?? 3000,
  host: process.env.HOST || '127.0.0.1',
  dynamoPort: portFrom('DYNAMODB_PORT', undefined) || undefined,
  config: readConfig(configPathFromEnv()),
  dataDir: usableDataDir(dataDirFromEnv()),
});

/** A failure to listen on HOST:PORT other than a busy port, as one line. */
export const listenError = (host: string, port: number, error: unknown): Error => {
  if (error instanceof PortInUseError) return error;
  const message = error instanceof Error ? error.message : String(error);
  return new StartupError(`cannot listen on ${host}:${port} (HOST, PORT): ${message}`, {
    cause: error,
  });
};

/** A development key that createApiKey refused, as one line naming the variable. */
export const devKeyError = (error: unknown): unknown =>
  error instanceof KeyAdminError
    ? new StartupError(`CONCORD_DEV_API_KEY: ${error.message}`, { cause: error })
    : error;

const ONE_LINE = [
  StartupError,
  PortInUseError,
  DynamoPortInUseError,
  DynamoStartError,
  JavaMissingError,
  ConfigError,
];

/**
 * What to print when start-up failed: one line for the failures a user
 * causes and fixes; the whole error, stack included, for anything else.
 */
export const startupFailureMessage = (error: unknown): string | unknown =>
  ONE_LINE.some((type) => error instanceof type)
    ? `concord: ${(error as Error).message.split('\n')[0]}`
    : error;
