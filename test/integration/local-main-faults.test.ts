/**
 * `npm start` when things go wrong: killed too hard to clean up, its
 * DynamoDB Local dying under it, and bad settings at start-up.
 */
import { mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { dynamoDbPath, ENDPOINT_FILE } from '../../local/paths';
import { commandLineOf } from '../../local/process-group';
import {
  dynamoProcessesOf,
  endAll,
  isRunning,
  startMain,
  waitForNoDynamo,
} from '../helpers/local-main';

const root = mkdtempSync(join(tmpdir(), 'concord-faults-'));
let n = 0;
const freshDataDir = (): string => join(root, `data-${++n}`);
const DEV_KEY = `test-dev-key-faults-${process.pid}`;

afterEach(() => endAll());
afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('npm start killed with SIGKILL', () => {
  it('takes its DynamoDB Local with it when only the server process is killed', async () => {
    const dataDir = freshDataDir();
    const main = startMain({ dataDir, env: { CONCORD_DEV_API_KEY: DEV_KEY } });
    const { javaPid } = await main.listening();
    expect(dynamoProcessesOf(dataDir)).toEqual([javaPid]);

    main.child.kill('SIGKILL');
    await main.exit;
    expect(await waitForNoDynamo(dataDir)).toEqual([]);
    // The pid may already belong to another process on a busy machine: it must not be Java's.
    expect(isRunning(javaPid) && (commandLineOf(javaPid) ?? '').includes('DynamoDBLocal.jar')).toBe(
      false,
    );
  }, 120_000);

  it('takes its DynamoDB Local with it when its whole process group is killed', async () => {
    const dataDir = freshDataDir();
    const main = startMain({ dataDir, env: { CONCORD_DEV_API_KEY: DEV_KEY }, detached: true });
    const { javaPid } = await main.listening();
    const group = main.child.pid as number;

    process.kill(-group, 'SIGKILL');
    await main.exit;
    expect(await waitForNoDynamo(dataDir)).toEqual([]);
    // The pid may already belong to another process on a busy machine: it must not be Java's.
    expect(isRunning(javaPid) && (commandLineOf(javaPid) ?? '').includes('DynamoDBLocal.jar')).toBe(
      false,
    );
  }, 120_000);
});

describe('npm start when its DynamoDB Local dies', () => {
  const auth = { authorization: `Bearer ${DEV_KEY}` };

  it('restarts it on the same data, answering 503 (never 500) until it is back', async () => {
    const dataDir = freshDataDir();
    const main = startMain({ dataDir, env: { CONCORD_DEV_API_KEY: DEV_KEY } });
    const { url, javaPid } = await main.listening();
    const endpoint = readFileSync(join(dataDir, ENDPOINT_FILE), 'utf8').trim();
    const created = await fetch(`${url}/v1/items/kept`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json', 'if-none-match': '*' },
      body: JSON.stringify({ note: 'survives the crash' }),
    });
    expect(created.status).toBe(201);
    // DynamoDB Local acknowledges a transaction a moment before it reaches its
    // file (see the README's toolchain notes): give it that moment.
    await new Promise((r) => setTimeout(r, 1_000));

    process.kill(javaPid, 'SIGKILL');
    const statuses: number[] = [];
    let body: unknown;
    for (let i = 0; i < 600 && statuses.at(-1) !== 200; i++) {
      const answer = await fetch(`${url}/v1/items/kept`, { headers: auth });
      statuses.push(answer.status);
      body = await answer.json();
      if (answer.status === 503) {
        expect(answer.headers.get('content-type')).toBe('application/problem+json');
        expect(answer.headers.get('retry-after')).toMatch(/^\d+$/);
      }
      if (answer.status !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(statuses.at(-1)).toBe(200);
    expect(new Set(statuses.slice(0, -1))).toEqual(new Set(statuses.length > 1 ? [503] : []));
    expect(body).toMatchObject({ id: 'kept', version: 1, note: 'survives the crash' });

    const restarted = await main.waitFor(/DynamoDB Local restarted on (\S+) \(pid (\d+)\)/);
    expect(main.output()).toMatch(
      /DynamoDB Local was killed by SIGKILL unexpectedly; restarting it/,
    );
    // Same port while it is free, so the endpoint `npm run keys` reads stays right.
    expect(restarted[1]).toBe(endpoint);
    expect(readFileSync(join(dataDir, ENDPOINT_FILE), 'utf8').trim()).toBe(endpoint);
    expect(dynamoProcessesOf(dataDir)).toEqual([Number(restarted[2])]);
  }, 180_000);

  it('exits 1 with one line when it cannot be restarted, instead of answering 503 forever', async () => {
    const dataDir = freshDataDir();
    const main = startMain({ dataDir, env: { CONCORD_DEV_API_KEY: DEV_KEY } });
    const { javaPid } = await main.listening();
    // A file where the database folder was: every restart fails.
    renameSync(dynamoDbPath(dataDir), `${dynamoDbPath(dataDir)}-moved`);
    writeFileSync(dynamoDbPath(dataDir), 'not a folder');

    process.kill(javaPid, 'SIGKILL');
    expect(await main.exit).toBe(1);
    const output = main.output();
    expect(output.match(/restarting it in [\d.]+ s \(attempt \d of 5\)/g)).toHaveLength(5);
    expect(output).toMatch(
      /^concord: DynamoDB Local failed 5 times in a row \(last: .*\); giving up$/m,
    );
    expect(output).not.toMatch(/^\s+at /m);
    expect(dynamoProcessesOf(dataDir)).toEqual([]);
  }, 180_000);
});

describe('npm start with a bad setting', () => {
  const fileNotFolder = (): string => {
    const file = join(root, `file-${++n}`);
    writeFileSync(file, 'not a folder');
    return file;
  };
  const badConfig = (): string => {
    const file = join(root, `config-${++n}.json`);
    writeFileSync(file, JSON.stringify({ collections: [{ name: 'Not Valid' }] }));
    return file;
  };

  it.each([
    [
      'CONCORD_DEV_API_KEY too short',
      () => ({ CONCORD_DEV_API_KEY: 'short' }),
      /CONCORD_DEV_API_KEY: a key must be 16 to 256/,
    ],
    [
      'DYNAMODB_PORT not a number',
      () => ({ DYNAMODB_PORT: '80x' }),
      /DYNAMODB_PORT must be a port number/,
    ],
    ['PORT out of range', () => ({ PORT: '70000' }), /PORT must be a port number/],
    [
      'a data folder that is a file',
      () => ({ CONCORD_DATA_DIR: fileNotFolder() }),
      /data folder .* is not a writable folder/,
    ],
    [
      'a data folder inside a file',
      () => ({ CONCORD_DATA_DIR: join(fileNotFolder(), 'sub') }),
      /is not a writable folder/,
    ],
    [
      'a HOST that does not resolve',
      () => ({ HOST: 'no-such-host.invalid' }),
      /cannot listen on no-such-host\.invalid/,
    ],
    [
      'a configuration that does not validate',
      () => ({ CONCORD_CONFIG: badConfig() }),
      /invalid Concord configuration/,
    ],
    [
      'a missing configuration',
      () => ({ CONCORD_CONFIG: join(root, 'missing.json') }),
      /cannot read/,
    ],
  ])(
    'exits 1 with one line for %s',
    async (_, env, message) => {
      const main = startMain({ dataDir: freshDataDir(), env: env() });
      expect(await main.exit).toBe(1);
      // Besides the progress line printed while DynamoDB Local starts, one line.
      const lines = main
        .output()
        .trim()
        .split('\n')
        .filter((line) => !line.startsWith('Starting DynamoDB Local ('));
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/^concord: /);
      expect(lines[0]).toMatch(message);
    },
    120_000,
  );
});
