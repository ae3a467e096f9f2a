import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { timeDatabaseCalls } from './call-timing';

export interface DocumentClientOptions {
  /** A DynamoDB Local endpoint, e.g. `http://127.0.0.1:8000`; the AWS endpoint when absent. */
  readonly endpoint?: string;
  readonly region?: string;
  readonly credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Attempts including the first (SDK standard retry mode with backoff). */
  readonly maxAttempts?: number;
}

/**
 * A DocumentClient with bounded retries and timeouts: a throttled or
 * unreachable table must turn into a prompt 503, not a Lambda timeout.
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
    maxAttempts: options.maxAttempts ?? 3,
    retryMode: 'standard',
    requestHandler: { connectionTimeout: 1_000, requestTimeout: 3_000 },
  });
  timeDatabaseCalls(client);
  return DynamoDBDocumentClient.from(client, {
    marshallOptions: { removeUndefinedValues: true },
  });
};
