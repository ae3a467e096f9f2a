/**
 * The README's curl walkthrough, run verbatim against a fresh `npm start`
 * (the real entry point, on clean data, with the walkthrough's key), and every
 * answer compared with the one the README shows.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  differences,
  parseAnswer,
  runCommands,
  sectionOf,
  walkthroughCommands,
} from '../helpers/readme-walkthrough';

const ROOT = resolve(import.meta.dirname, '../..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');
const SECTION = sectionOf(README, '## Walkthrough: the conflict scenarios with curl');
const dataDir = mkdtempSync(join(tmpdir(), 'concord-readme-'));

/** The key and the A variable exactly as the walkthrough sets them. */
const startBlock =
  /```sh\n(rm -rf \.concord\n)?CONCORD_DEV_API_KEY=(\S+) npm start\n[\s\S]*?export A="([^"]+)"/.exec(
    SECTION,
  );

let server: ChildProcess | undefined;
let baseUrl = '';

beforeAll(async () => {
  expect(startBlock, 'the walkthrough starts npm start with a known key').not.toBeNull();
  server = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      CONCORD_DATA_DIR: dataDir,
      CONCORD_DEV_API_KEY: startBlock?.[2] ?? '',
      PORT: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    output += chunk.toString();
  };
  server.stdout?.on('data', collect);
  server.stderr?.on('data', collect);
  const deadline = Date.now() + 50_000;
  while (!/^DynamoDB Local on /m.test(output)) {
    if (server.exitCode !== null || Date.now() > deadline) {
      throw new Error(`npm start did not come up:\n${output}`);
    }
    await new Promise((done) => setTimeout(done, 100));
  }
  baseUrl = /Concord listening on (\S+)/.exec(output)?.[1] ?? '';
}, 60_000);

afterAll(async () => {
  if (server && server.exitCode === null && server.signalCode === null) {
    const exited = new Promise((done) => server?.once('exit', done));
    server.kill('SIGINT');
    const timer = setTimeout(() => server?.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(timer);
  }
  rmSync(dataDir, { recursive: true, force: true });
});

describe('the README walkthrough', () => {
  it('answers every command the way the README shows', async () => {
    const commands = walkthroughCommands(SECTION);
    // Every scenario the walkthrough describes has its command on the page.
    expect(commands.filter((command) => command.answer).length).toBeGreaterThanOrEqual(15);
    const outputs = await runCommands(commands, { A: startBlock?.[3] ?? '', B: baseUrl });
    const problems: string[] = [];
    commands.forEach((command, i) => {
      const actual = parseAnswer(outputs[i] ?? '');
      const found = command.answer ? differences(command.answer, actual) : [];
      if (command.status !== undefined && !actual.statusLine.includes(` ${command.status} `)) {
        found.push(`status: README says ${command.status}, API "${actual.statusLine}"`);
      }
      if (found.length > 0) problems.push(`${command.text}\n  ${found.join('\n  ')}`);
    });
    expect(problems).toEqual([]);
  });
});
