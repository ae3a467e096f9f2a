/**
 * `npm start` with AWS_ENDPOINT_URL_DYNAMODB: the API over a DynamoDB it did
 * not start (here the test run's DynamoDB Local), no Java of its own, the
 * table created when missing, the development key as usual.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DescribeTableCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { localDynamoClient } from '../../local/dynamo-local';
import { testEndpoint, uniqueName } from '../helpers/local-dynamo';
import { dynamoProcessesOf, endAll, startMain } from '../helpers/local-main';

const dataDir = mkdtempSync(join(tmpdir(), 'concord-external-'));
afterEach(() => endAll());
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

describe('npm start against an existing DynamoDB', () => {
  it('uses it without starting Java, creates the missing table and registers the dev key', async () => {
    const tableName = uniqueName('external');
    const devKey = `external-dev-key-${process.pid}`;
    const main = startMain({
      dataDir,
      env: {
        AWS_ENDPOINT_URL_DYNAMODB: testEndpoint(),
        CONCORD_TABLE_NAME: tableName,
        CONCORD_DEV_API_KEY: devKey,
      },
    });
    await main.waitFor(/Development API key: \S+/);
    const url = /Concord listening on (http:\/\/\S+)/.exec(main.output())?.[1] ?? '';
    expect(main.output()).toContain(
      `Using the DynamoDB at ${testEndpoint()} (AWS_ENDPOINT_URL_DYNAMODB), table ${tableName}; not starting DynamoDB Local`,
    );
    expect(main.output()).not.toContain('Starting DynamoDB Local');
    expect(dynamoProcessesOf(dataDir)).toEqual([]);

    const admin = localDynamoClient(testEndpoint());
    try {
      const { Table } = await admin.send(new DescribeTableCommand({ TableName: tableName }));
      expect(Table?.TableStatus).toBe('ACTIVE');
    } finally {
      admin.destroy();
    }

    const auth = { authorization: `Bearer ${devKey}` };
    const created = await fetch(`${url}/v1/items/outside`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json', 'if-none-match': '*' },
      body: JSON.stringify({ where: 'an external DynamoDB' }),
    });
    expect(created.status).toBe(201);

    main.child.kill('SIGINT');
    expect(await main.exit).toBe(0);

    // A second start finds the table and the key there already.
    const again = startMain({
      dataDir,
      env: {
        AWS_ENDPOINT_URL_DYNAMODB: testEndpoint(),
        CONCORD_TABLE_NAME: tableName,
        CONCORD_DEV_API_KEY: devKey,
      },
    });
    await again.waitFor(/Development API key: \S+/);
    const url2 = /Concord listening on (http:\/\/\S+)/.exec(again.output())?.[1] ?? '';
    const read = await fetch(`${url2}/v1/items/outside`, { headers: auth });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ where: 'an external DynamoDB' });
  }, 90_000);

  it('exits 1 with one line when the endpoint is not a URL or cannot be reached', async () => {
    for (const endpoint of ['not a url', 'ftp://127.0.0.1:1', 'http://127.0.0.1:1']) {
      const main = startMain({ dataDir, env: { AWS_ENDPOINT_URL_DYNAMODB: endpoint } });
      expect(await main.exit, endpoint).toBe(1);
      expect(main.output()).toMatch(/^concord: .*AWS_ENDPOINT_URL_DYNAMODB/m);
      expect(main.output()).not.toMatch(/^\s+at /m);
      expect(dynamoProcessesOf(dataDir)).toEqual([]);
    }
  }, 90_000);
});
