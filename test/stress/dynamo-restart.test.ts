/**
 * DynamoDB Local killed under load while `npm start` keeps running: its
 * supervisor restarts it on the same data. Clients must see 503
 * problem+json with Retry-After during the gap, successes after it, never
 * a 500, and no acknowledged write may be lost.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { dynamoProcessesOf, endAll, startMain } from '../helpers/local-main';
import { Ledger, newTally, readAll } from './lib/acknowledged-writes';

const KILLS = 2;
const WRITERS = 4;
const DEV_KEY = `dynamo-restart-key-${process.pid}`;
const auth = { authorization: `Bearer ${DEV_KEY}` };

const root = mkdtempSync(join(tmpdir(), 'concord-restart-'));
const dataDir = join(root, 'data');
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

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('DynamoDB Local killed under load', () => {
  it('is restarted: 503 with Retry-After in the gap, successes after, no 500, nothing acknowledged lost', async () => {
    const main = startMain({
      dataDir,
      env: { CONCORD_DEV_API_KEY: DEV_KEY, CONCORD_CONFIG: config },
    });
    const { url, javaPid: firstJava } = await main.listening(90_000);
    const ledger = new Ledger();
    const tally = newTally();
    let stop = false;
    const writers = Array.from({ length: WRITERS }, (_, client) =>
      ledger.write({ client, baseUrl: url, auth, tally, stop: () => stop, documents: 3 }),
    );
    const gaps: Array<{ unavailable: number; acknowledgedAfter: number; seconds: number }> = [];
    try {
      let javaPid = firstJava;
      for (let kill = 1; kill <= KILLS; kill++) {
        const target = tally.acknowledged + 80 + Math.floor(Math.random() * 120);
        while (tally.acknowledged < target && tally.violations.length === 0) await sleep(20);
        const unavailableBefore = tally.statuses[503] ?? 0;
        const killedAt = Date.now();
        process.kill(javaPid, 'SIGKILL');

        const restarted = /DynamoDB Local restarted on \S+ \(pid (\d+)\)/g;
        const pids = () => [...main.output().matchAll(restarted)].map((m) => Number(m[1]));
        const deadline = Date.now() + 90_000;
        while (pids().length < kill) {
          if (Date.now() > deadline || main.child.exitCode !== null) {
            throw new Error(`DynamoDB Local was not restarted:\n${main.output().slice(-3000)}`);
          }
          await sleep(100);
        }
        javaPid = pids()[kill - 1] as number;
        expect(dynamoProcessesOf(dataDir)).toEqual([javaPid]);

        // Load goes on until the restarted database has taken writes again.
        const restartedAt = Date.now();
        const acknowledgedAtRestart = tally.acknowledged;
        while (tally.acknowledged < acknowledgedAtRestart + 50 && tally.violations.length === 0) {
          await sleep(20);
        }
        gaps.push({
          unavailable: (tally.statuses[503] ?? 0) - unavailableBefore,
          acknowledgedAfter: tally.acknowledged - acknowledgedAtRestart,
          seconds: (restartedAt - killedAt) / 1000,
        });
      }
    } finally {
      stop = true;
      await Promise.all(writers);
    }

    expect(tally.violations).toEqual([]);
    expect(tally.statuses[500]).toBeUndefined();
    for (const gap of gaps) {
      expect(gap.unavailable).toBeGreaterThan(0);
      expect(gap.acknowledgedAfter).toBeGreaterThanOrEqual(50);
    }
    const check = ledger.verify(await readAll(url, auth, ledger.ids()));
    expect(check.problems).toEqual([]);
    expect(main.child.exitCode).toBeNull();
    const statuses = Object.entries(tally.statuses)
      .map(([status, count]) => `${count}× ${status}`)
      .join(', ');
    console.log(
      `dynamo restart: ${KILLS} kills of DynamoDB Local, each restarted; ${tally.requests} requests ` +
        `(${statuses}, ${tally.noAnswer} without an answer); ` +
        `per kill: ${gaps.map((g) => `${g.unavailable} 503s, restarted after ${g.seconds.toFixed(1)} s`).join('; ')}; ` +
        `${check.acknowledged} acknowledged writes verified on ${check.documents} documents; ` +
        `writes of unknown outcome: ${check.unknownApplied} applied whole, ${check.unknownAbsent} absent`,
    );
  }, 170_000);
});
