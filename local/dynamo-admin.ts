/** Administration of DynamoDB Local: a low-level client with fixed credentials, and the table. */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  ResourceInUseException,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tableDefinition } from '../functions/store/table-definition';

/** DynamoDB Local accepts any credentials; fixed ones keep the SDK off the default chain (and IMDS). */
export const LOCAL_CREDENTIALS = { accessKeyId: 'local', secretAccessKey: 'local' } as const;
export const LOCAL_REGION = 'local';

/**
 * A low-level client for DynamoDB Local: fixed credentials, no retries unless
 * asked, and a request timeout that is enforced, so a hung JVM cannot hang
 * a readiness check or a table check.
 */
export const localDynamoClient = (endpoint: string, maxAttempts = 3): DynamoDBClient =>
  new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts,
    requestHandler: {
      connectionTimeout: 1_000,
      requestTimeout: 2_000,
      throwOnRequestTimeout: true,
    },
  });

type AnyDynamoClient = DynamoDBClient | DynamoDBDocumentClient;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Creates the table from the shared definition unless it exists, then waits
 * until it is ACTIVE. Safe to call concurrently and on every start.
 */
export const ensureTable = async (client: AnyDynamoClient, tableName: string): Promise<void> => {
  // The document client passes low-level commands through unchanged.
  const low = client as DynamoDBClient;
  try {
    await low.send(new CreateTableCommand(tableDefinition(tableName)));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  const deadline = Date.now() + 30_000;
  for (;;) {
    const { Table } = await low.send(new DescribeTableCommand({ TableName: tableName }));
    if (Table?.TableStatus === 'ACTIVE') return;
    if (Date.now() > deadline) throw new Error(`table ${tableName} is not ACTIVE after 30 s`);
    await sleep(100);
  }
};
