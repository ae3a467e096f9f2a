import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { timeDatabaseCalls } from './call-timing';
import { UnconfirmedWriteError } from './failures';

/**
 * How long one attempt may wait for DynamoDB's answer, connecting included.
 * A read gives up after `DEFAULT_MAX_ATTEMPTS` of these plus the SDK's short
 * backoff (about 6.2 s), a write after one (see {@link createDocumentClient}):
 * an API request (admission write, then its operation) is answered within
 * about 8.2 s, inside the functions' 10 s timeout and API Gateway's 29 s.
 */
export const DEFAULT_REQUEST_TIMEOUT_MS = 2_000;
/** How long opening a connection may take; never reaching DynamoDB is safe to retry. */
export const DEFAULT_CONNECTION_TIMEOUT_MS = 1_000;
/** Attempts including the first. */
export const DEFAULT_MAX_ATTEMPTS = 3;

export interface DocumentClientOptions {
  /** A DynamoDB Local endpoint, e.g. `http://127.0.0.1:8000`; the AWS endpoint when absent. */
  readonly endpoint?: string;
  readonly region?: string;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Attempts including the first (SDK standard retry mode with backoff). Default 3. */
  readonly maxAttempts?: number;
  /** Milliseconds one attempt may take before it is abandoned. Default 2,000. */
  readonly requestTimeoutMs?: number;
}

/**
 * Single-item writes whose effect DynamoDB does not deduplicate. A
 * TransactWriteItems is not among them: the SDK gives it one
 * ClientRequestToken for all its attempts, so DynamoDB applies it once.
 */
const UNDEDUPLICATED_WRITES = new Set(['PutItemCommand', 'UpdateItemCommand', 'DeleteItemCommand']);

/**
 * Whether a failed attempt certainly changed nothing: DynamoDB refused it
 * with a 4xx (throttling, a failed condition, validation), or it never got
 * a connection. A timeout after sending, a reset or a 5xx may follow an
 * applied write.
 */
const changedNothing = (error: unknown): boolean => {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as {
    code?: string;
    message?: string;
    $fault?: string;
    $metadata?: { httpStatusCode?: number };
  };
  const status = e.$metadata?.httpStatusCode ?? 0;
  // `$fault: 'client'` marks an error DynamoDB answered as the request's own (4xx).
  if (e.$fault === 'client' || (status >= 400 && status < 500)) return true;
  return e.code === 'ECONNREFUSED' || (e.message ?? '').includes('did not establish a connection');
};

/**
 * Keeps the SDK from retrying a write whose first attempt may have been
 * applied: the retry would then fail its own condition (`version = 3`
 * after the first attempt made it 4) and be reported as a conflict that
 * never happened, or apply an unconditional write twice. The attempt's
 * error becomes an {@link UnconfirmedWriteError}, which the retry strategy
 * does not retry and the store answers as 503.
 */
const stopUnconfirmedWriteRetries = (client: DynamoDBClient): void => {
  const middleware =
    <Args, Result>(next: (args: Args) => Promise<Result>, context: { commandName?: string }) =>
    async (args: Args): Promise<Result> => {
      try {
        return await next(args);
      } catch (error) {
        const command = context.commandName ?? '';
        if (!UNDEDUPLICATED_WRITES.has(command) || changedNothing(error)) throw error;
        throw new UnconfirmedWriteError(command, error);
      }
    };
  // After the retry middleware: it sees every attempt, not just the last.
  client.middlewareStack.addRelativeTo(middleware, {
    relation: 'after',
    toMiddleware: 'retryMiddleware',
    name: 'stopUnconfirmedWriteRetries',
  });
};

/**
 * A DocumentClient with bounded retries and enforced timeouts: a throttled,
 * stalled or unreachable table must turn into a prompt 503, not a Lambda
 * timeout. `throwOnRequestTimeout` is what makes `requestTimeout` end the
 * attempt: without it the HTTP handler only logs a warning and waits on.
 */
export const createDocumentClient = (
  options: DocumentClientOptions = {},
): DynamoDBDocumentClient => {
  const local = options.endpoint !== undefined;
  const client = new DynamoDBClient({
    ...(local ? { endpoint: options.endpoint } : {}),
    region: options.region ?? process.env.AWS_REGION ?? (local ? 'local' : undefined),
    ...(options.credentials
      ? { credentials: options.credentials }
      : local
        ? { credentials: { accessKeyId: 'local', secretAccessKey: 'local' } }
        : {}),
    maxAttempts: options.maxAttempts ?? DEFAULT_MAX_ATTEMPTS,
    retryMode: 'standard',
    requestHandler: {
      connectionTimeout: DEFAULT_CONNECTION_TIMEOUT_MS,
      requestTimeout: options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS,
      throwOnRequestTimeout: true,
    },
  });
  stopUnconfirmedWriteRetries(client);
  timeDatabaseCalls(client);
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
};
