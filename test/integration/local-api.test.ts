import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDynamoClient } from '../../local/dynamo-local';
import { startApi, type TestApi } from '../helpers/local-api';
import {
  assertLocalEndpoint,
  createTestTable,
  testDocumentClient,
  testEndpoint,
  uniqueName,
} from '../helpers/local-dynamo';

describe('test helpers', () => {
  it('refuse any DynamoDB endpoint that is not loopback', () => {
    for (const endpoint of [
      'https://dynamodb.eu-west-1.amazonaws.com',
      'http://10.0.0.5:8000',
      'http://127.0.0.1.example.com:8000',
      'not a url',
    ]) {
      expect(() => testDocumentClient(endpoint)).toThrow(/refusing DynamoDB endpoint/);
    }
    expect(assertLocalEndpoint('http://localhost:8000')).toBe('http://localhost:8000');
    expect(assertLocalEndpoint('http://[::1]:8000')).toBe('http://[::1]:8000');
    expect(testEndpoint()).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  });

  it('create a fresh ACTIVE table per call', async () => {
    const [a, b] = await Promise.all([createTestTable(), createTestTable()]);
    expect(a).not.toBe(b);
    const admin = localDynamoClient(testEndpoint());
    const { Table } = await admin.send(new DescribeTableCommand({ TableName: a }));
    admin.destroy();
    expect(Table?.TableStatus).toBe('ACTIVE');
  });
});

describe('startApi', () => {
  let api: TestApi;
  beforeAll(async () => {
    api = await startApi();
  });
  afterAll(() => api.close());

  it('serves the real handler over HTTP on its own table', async () => {
    const id = uniqueName('doc');
    const put = await fetch(`${api.baseUrl}/v1/items/${id}`, {
      method: 'PUT',
      headers: { ...api.headers, 'content-type': 'application/json', 'if-none-match': '*' },
      body: '{"n":1}',
    });
    expect(put.status).toBe(201);
    const get = await fetch(`${api.baseUrl}/v1/items/${id}`, { headers: api.headers });
    expect(get.status).toBe(200);
    expect(get.headers.get('etag')).toBe('"1"');
    expect(api.tableName).toMatch(/^concord-test-/);
    expect((await fetch(`${api.baseUrl}/v1/items/${id}`)).status).toBe(401);
  });
});
