/**
 * Crash durability of `npm start`: versioned writers load the real server
 * (tsx local/main.ts over a persistent DynamoDB Local), then the server and
 * its DynamoDB Local are both killed with SIGKILL mid-load, and the server
 * is started again on the same data folder. Every acknowledged write must
 * be there; every write in flight must be either whole or absent.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { endAll, type MainProcess, startMain, waitForNoDynamo } from '../helpers/local-main';
import { Ledger, newTally, readAll, type Tally } from './lib/acknowledged-writes';

const ROUNDS = 3;
const WRITERS = 4;
const DOCUMENTS_PER_WRITER = 3;
const DEV_KEY = `crash-durability-key-${process.pid}`;
const auth = { authorization: `Bearer ${DEV_KEY}` };

const root = mkdtempSync(join(tmpdir(), 'concord-crash-'));
const dataDir = join(root, 'data');
// A quota no writer can reach: this test is about durability, not rate limits.
const config = join(root, 'concord.config.json');
writeFileSync(
  config,
  JSON.stringify({
    rateLimit: { windowSeconds: 1, defaultQuota: 1_000_000 },
    collections: [{ name: 'items' }],
  }),
);

afterEach(() => endAll());
afterAll(() => rmSync(root, { recursive: true, force: true }));

const start = async (): Promise<{ main: MainProcess; url: string; javaPid: number }> => {
  const main = startMain({
    dataDir,
    env: { CONCORD_DEV_API_KEY: DEV_KEY, CONCORD_CONFIG: config },
  });
  return { main, ...(await main.listening(90_000)) };
};

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('npm start killed with SIGKILL under load, with its DynamoDB Local', () => {
  it('keeps every acknowledged write, and applies every write in flight whole or not at all', async () => {
    const ledger = new Ledger();
    const tally: Tally = newTally();
    let verified = { acknowledged: 0, applied: 0, absent: 0 };
    let running = await start();

    for (let round = 1; round <= ROUNDS; round++) {
      let killed = false;
      const writers = Array.from({ length: WRITERS }, (_, client) =>
        ledger.write({
          client,
          baseUrl: running.url,
          auth,
          tally,
          stop: () => killed,
          documents: DOCUMENTS_PER_WRITER,
        }),
      );
      // Mid-load: after a random number of acknowledged writes in this round.
      const target = tally.acknowledged + 60 + Math.floor(Math.random() * 120);
      while (tally.acknowledged < target && tally.violations.length === 0) await sleep(20);
      // Java first or the server first, alternately: both orders must be safe.
      const victims = [running.javaPid, running.main.child.pid as number];
      if (round % 2 === 0) victims.reverse();
      for (const pid of victims) process.kill(pid, 'SIGKILL');
      killed = true;
      await running.main.exit;
      await Promise.all(writers);
      expect(await waitForNoDynamo(dataDir)).toEqual([]);

      running = await start();
      const check = ledger.verify(await readAll(running.url, auth, ledger.ids()));
      expect(check.problems).toEqual([]);
      verified = {
        acknowledged: check.acknowledged,
        applied: check.unknownApplied,
        absent: check.unknownAbsent,
      };
    }

    expect(tally.violations).toEqual([]);
    expect(tally.statuses[500]).toBeUndefined();
    expect(verified.acknowledged).toBeGreaterThan(ROUNDS * 60);
    console.log(
      `crash durability: ${ROUNDS} rounds, ${verified.acknowledged} acknowledged writes verified ` +
        `on ${ledger.ids().length} documents; writes in flight at a crash or without an answer: ` +
        `${verified.applied} applied whole, ${verified.absent} absent; ${tally.requests} requests`,
    );
  }, 170_000);
});
