/** The key command end to end, as an operator runs it, against DynamoDB Local. */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { DEFAULT_ADMISSION } from '../../functions/core/access';
import { createHttpHandler } from '../../functions/http/app';
import { createDynamoApiKeyStore } from '../../functions/store/dynamo-api-key-store';
import { createDynamoItemStore } from '../../functions/store/dynamo-item-store';
import { ENDPOINT_FILE, LOCAL_TABLE_NAME } from '../../local/paths';
import { createLocalServer } from '../../local/server';
import { send } from '../helpers/http';
import { defaultConfig } from '../helpers/local-api';
import { createTestTable, testDocumentClient, testEndpoint } from '../helpers/local-dynamo';
import { waitForNoDynamo } from '../helpers/local-main';

const run = promisify(execFile);
const keys = (table: string, ...args: string[]) =>
  run(
    process.execPath,
    [
      '--import',
      'tsx',
      'local/keys-cli.ts',
      ...args,
      '--table',
      table,
      '--endpoint',
      testEndpoint(),
    ],
    { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } },
  );

describe('npm run keys', () => {
  it('creates a key shown once, lists it by id and revokes it', async () => {
    const table = await createTestTable();
    const client = testDocumentClient();
    let skewMs = 0;
    const server = await createLocalServer({
      handler: createHttpHandler({
        config: defaultConfig(),
        store: createDynamoItemStore({ client, tableName: table }),
        keys: createDynamoApiKeyStore({ client, tableName: table }),
        access: { now: () => Date.now() + skewMs },
      }),
      host: '127.0.0.1',
      port: 0,
    });
    try {
      const created = await keys(
        table,
        'create',
        '--tenant',
        'acme',
        '--scopes',
        'read',
        '--quota',
        '7',
        '--name',
        'billing',
      );
      const key = /^(ck_\S+)$/m.exec(created.stdout)?.[1] ?? '';
      const keyId = /^key id\s+(\w+)$/m.exec(created.stdout)?.[1] ?? '';
      expect(key).toMatch(/^ck_[A-Za-z0-9_-]{43}$/);
      const auth = { authorization: `Bearer ${key}` };
      const ok = await send(server.url, 'GET', '/v1/items', { headers: auth });
      expect(ok.status).toBe(200);
      expect(ok.headers.get('ratelimit-policy')).toBe('"default";q=7;w=60');

      const listed = await keys(table, 'list');
      expect(listed.stdout).toMatch(
        new RegExp(`^${keyId}\\s+acme\\s+billing\\s+read\\s+7\\s+60s\\s`, 'm'),
      );
      expect(listed.stdout).not.toContain(key);

      const revoked = await keys(table, 'revoke', keyId);
      expect(revoked.stdout).toContain(`revoked ${keyId}`);
      // The server trusts what it learnt of the key for freshMs; then the revocation holds.
      skewMs += DEFAULT_ADMISSION.freshMs;
      expect((await send(server.url, 'GET', '/v1/items', { headers: auth })).status).toBe(401);
      expect((await keys(table, 'list')).stdout).toMatch(
        new RegExp(`${keyId}.*\\d{4}-\\d\\d-\\d\\dT.*Z\\s*$`, 'm'),
      );
    } finally {
      await server.close();
      client.destroy();
    }
  });

  it('works on the DynamoDB Local of a running npm start, found through the data folder', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'concord-keys-'));
    writeFileSync(join(dataDir, ENDPOINT_FILE), `${testEndpoint()}\n`);
    const created = await run(
      process.execPath,
      [
        '--import',
        'tsx',
        'local/keys-cli.ts',
        'create',
        '--tenant',
        'local-dev',
        '--data-dir',
        dataDir,
      ],
      { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } },
    );
    const keyId = /^key id\s+(\w+)$/m.exec(created.stdout)?.[1];
    const client = testDocumentClient();
    try {
      const stored = await createDynamoApiKeyStore({ client, tableName: LOCAL_TABLE_NAME }).list();
      expect(stored.map((k) => k.keyId)).toContain(keyId);
    } finally {
      client.destroy();
    }
  });

  it('refuses bad values with a message and exit code 1', async () => {
    const table = await createTestTable();
    for (const args of [
      ['create', '--tenant', 'Not Valid'],
      ['create', '--tenant', 'acme', '--scopes', 'admin'],
      ['revoke', 'nope'],
    ]) {
      const failure = await keys(table, ...args).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failure?.code, args.join(' ')).toBe(1);
      expect(failure?.stderr).not.toMatch(/at .*\.ts:\d+|ERR_PARSE_ARGS/);
    }
  });

  it('answers a mistaken command line with its usage and exit code 2, never a stack trace', async () => {
    const table = await createTestTable();
    for (const args of [['explode'], ['list', '--no-such-option'], ['create'], ['revoke']]) {
      const failure = await keys(table, ...args).then(
        () => undefined,
        (error: { code: number; stderr: string }) => error,
      );
      expect(failure?.code, args.join(' ')).toBe(2);
      expect(failure?.stderr).toContain('usage: npm run keys -- <create|list|revoke>');
      expect(failure?.stderr).not.toMatch(/at .*\.ts:\d+|ERR_PARSE_ARGS|^\s+at /m);
    }
  });

  it('says what it is doing while it starts DynamoDB Local for the command', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'concord-keys-own-'));
    try {
      const { stdout, stderr } = await run(
        process.execPath,
        ['--import', 'tsx', 'local/keys-cli.ts', 'list', '--data-dir', dataDir],
        { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } },
      );
      expect(stderr).toContain(
        `Starting DynamoDB Local (data in ${dataDir}); this takes a few seconds…`,
      );
      expect(stdout).toMatch(/^key id\s+tenant\s+name\s+scopes\s+quota\s+window/);
      expect(await waitForNoDynamo(dataDir)).toEqual([]);
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  }, 60_000);

  it('prints its usage for --help and help, and exits 0', async () => {
    for (const args of [['--help'], ['help'], ['list', '-h']]) {
      const { stdout } = await run(
        process.execPath,
        ['--import', 'tsx', 'local/keys-cli.ts', ...args],
        { env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' } },
      );
      expect(stdout).toMatch(/^usage: npm run keys -- <create\|list\|revoke>/);
      expect(stdout).toContain('--tenant');
    }
  });
});
