/**
 * `npm start` when things go wrong: killed too hard to clean up.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
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
    expect(isRunning(javaPid)).toBe(false);
  }, 120_000);

  it('takes its DynamoDB Local with it when its whole process group is killed', async () => {
    const dataDir = freshDataDir();
    const main = startMain({ dataDir, env: { CONCORD_DEV_API_KEY: DEV_KEY }, detached: true });
    const { javaPid } = await main.listening();
    const group = main.child.pid as number;

    process.kill(-group, 'SIGKILL');
    await main.exit;
    expect(await waitForNoDynamo(dataDir)).toEqual([]);
    expect(isRunning(javaPid)).toBe(false);
  }, 120_000);
});
