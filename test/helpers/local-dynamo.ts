/**
 * DynamoDB access for integration tests. Everything here talks only to the
 * DynamoDB Local started by the global setup: a test can never reach a real
 * AWS account, whatever credentials the machine has.
 */
import { randomUUID } from 'node:crypto';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { inject } from 'vitest';
import { createDocumentClient } from '../../functions/store/client';
import {
  ensureTable,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  localDynamoClient,
} from '../../local/dynamo-local';

const LOOPBACK_HOSTS = new Set(['localhost', '[::1]', '::1']);

/**
 * Throws unless `endpoint` is an http(s) URL on this machine's loopback
 * interface (`localhost`, `127.x.x.x`, `[::1]`).
 */
export const assertLocalEndpoint = (endpoint: string): string => {
  let url: URL;
  try {
    url = new URL(endpoint);
  } catch {
    throw new Error(`refusing DynamoDB endpoint "${endpoint}": not a URL`);
  }
  const host = url.hostname;
  const loopback = LOOPBACK_HOSTS.has(host) || /^127(\.\d{1,3}){3}$/.test(host);
  if (!loopback || !/^https?:$/.test(url.protocol)) {
    throw new Error(`refusing DynamoDB endpoint "${endpoint}": tests only run against a local one`);
  }
  return endpoint;
};

/** The global setup's DynamoDB Local endpoint, checked to be loopback. */
export const testEndpoint = (): string => assertLocalEndpoint(inject('dynamoEndpoint'));

/**
 * A DocumentClient (the same factory production uses) bound to DynamoDB
 * Local with fixed fake credentials.
 *
 * @param endpoint defaults to the global setup's; anything not loopback throws
 */
export const testDocumentClient = (endpoint: string = testEndpoint()): DynamoDBDocumentClient =>
  createDocumentClient({
    endpoint: assertLocalEndpoint(endpoint),
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });

/** A random name with a readable prefix, for table names, ids and keys. */
export const uniqueName = (prefix = 'test'): string =>
  `${prefix}-${randomUUID().replaceAll('-', '').slice(0, 16)}`;

/**
 * Creates a fresh table with the production key layout and a random name,
 * so no test sees another test's data. Resolves once the table is ACTIVE.
 *
 * @returns the table name
 */
export const createTestTable = async (endpoint: string = testEndpoint()): Promise<string> => {
  const tableName = uniqueName('concord-test');
  const admin = localDynamoClient(assertLocalEndpoint(endpoint));
  try {
    await ensureTable(admin, tableName);
  } finally {
    admin.destroy();
  }
  return tableName;
};
