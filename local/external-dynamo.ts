/**
 * `npm start` against a DynamoDB it does not run: DynamoDB Local in Docker
 * (see docker-compose.yml), one started by `npm run dev`, or a real table.
 * The setting is the AWS SDK's own per-service endpoint variable,
 * `AWS_ENDPOINT_URL_DYNAMODB`, so the same environment works for the AWS CLI.
 */
import {
  DescribeTableCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
} from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { DocumentClientOptions } from '../functions/store/client';
import { ensureTable, LOCAL_CREDENTIALS, LOCAL_REGION } from './dynamo-admin';
import { LOCAL_TABLE_NAME } from './paths';
import { StartupError } from './startup';

export const ENDPOINT_ENV = 'AWS_ENDPOINT_URL_DYNAMODB';
export const TABLE_ENV = 'CONCORD_TABLE_NAME';

export interface ExternalDynamo {
  readonly endpoint: string;
  readonly tableName: string;
  /** How to reach it: fixed local credentials unless the environment names real ones. */
  readonly client: DocumentClientOptions;
}

const TABLE_NAME = /^[A-Za-z0-9_.-]{3,255}$/;

/** Whether the environment names AWS credentials of its own (then the SDK's chain is used). */
const hasAwsCredentials = (env: NodeJS.ProcessEnv): boolean =>
  Boolean(env.AWS_ACCESS_KEY_ID || env.AWS_PROFILE || env.AWS_WEB_IDENTITY_TOKEN_FILE);

/**
 * The external DynamoDB the environment names, or undefined when `npm start`
 * should run its own DynamoDB Local.
 *
 * @throws {StartupError} when the endpoint is not an http(s) URL or the table name is invalid
 */
export const externalDynamoFromEnv = (
  env: NodeJS.ProcessEnv = process.env,
): ExternalDynamo | undefined => {
  const endpoint = env[ENDPOINT_ENV]?.trim();
  if (!endpoint) return undefined;
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new StartupError(`${ENDPOINT_ENV} must be an http(s) URL, got "${endpoint}"`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new StartupError(`${ENDPOINT_ENV} must be an http(s) URL, got "${endpoint}"`);
  }
  const tableName = env[TABLE_ENV]?.trim() || LOCAL_TABLE_NAME;
  if (!TABLE_NAME.test(tableName)) {
    throw new StartupError(
      `${TABLE_ENV} must be a DynamoDB table name ([A-Za-z0-9_.-], 3 to 255 characters), got "${tableName}"`,
    );
  }
  const region = env.AWS_REGION || env.AWS_DEFAULT_REGION || LOCAL_REGION;
  return {
    endpoint,
    tableName,
    client: hasAwsCredentials(env)
      ? { endpoint, region }
      : { endpoint, region, credentials: LOCAL_CREDENTIALS },
  };
};

/**
 * Makes sure the table exists on the external DynamoDB, creating it when it
 * is missing; a table that is there is only described, so a real table
 * needs no CreateTable permission.
 *
 * @throws {StartupError} naming the endpoint when DynamoDB cannot be reached or refuses
 */
export const ensureExternalTable = async (
  client: DynamoDBDocumentClient,
  external: ExternalDynamo,
): Promise<void> => {
  const low = client as unknown as DynamoDBClient;
  try {
    try {
      await low.send(new DescribeTableCommand({ TableName: external.tableName }));
      return;
    } catch (error) {
      if (!(error instanceof ResourceNotFoundException)) throw error;
    }
    await ensureTable(client, external.tableName);
  } catch (error) {
    const message = (error as Error).message?.split('\n')[0] || String(error);
    throw new StartupError(
      `cannot use table ${external.tableName} at ${external.endpoint} (${ENDPOINT_ENV}): ${message}`,
      { cause: error },
    );
  }
};
