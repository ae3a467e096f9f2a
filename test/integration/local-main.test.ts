/**
 * `npm start` end to end: the real entry point in a child process, its
 * console lines, a request, Ctrl-C, and what is left running afterwards.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isAlive } from '../../local/process-group';

const ROOT = resolve(import.meta.dirname, '../..');
const dataDir = mkdtempSync(join(tmpdir(), 'concord-main-'));
// `npm start` registers this as its development key, so requests can authenticate.
const DEV_KEY = `test-dev-key-${process.pid}`;
const auth = { authorization: `Bearer ${DEV_KEY}` };
afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

// Whatever a failed test leaves running is ended here, so no run leaks a server or a JVM.
const spawned = new Set<ChildProcess>();
const javaPids = new Set<number>();
afterEach(async () => {
  for (const child of spawned) {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((done) => child.once('exit', done));
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
  }
  spawned.clear();
  for (const pid of javaPids) if (isAlive(pid)) process.kill(-pid, 'SIGKILL');
  javaPids.clear();
});

interface Started {
  readonly child: ChildProcess;
  readonly output: () => string;
  readonly exit: Promise<number | null>;
}

const startMain = (env: Record<string, string>): Started => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'local/main.ts'], {
    cwd: ROOT,
    env: {
      ...process.env,
      CONCORD_DATA_DIR: dataDir,
      CONCORD_DEV_API_KEY: DEV_KEY,
      PORT: '0',
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  spawned.add(child);
  let output = '';
  child.stdout?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  child.stderr?.on('data', (chunk: Buffer) => {
    output += chunk.toString();
  });
  const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  return { child, output: () => output, exit };
};

/** Waits for the "DynamoDB Local … (pid N" line; by then the API line is out too. */
const waitUntilListening = async (started: Started) => {
  const deadline = Date.now() + 50_000;
  for (;;) {
    const text = started.output();
    const url = /Concord listening on (http:\/\/\S+)/.exec(text)?.[1];
    const javaPid = /DynamoDB Local on \S+ \(pid (\d+)/.exec(text)?.[1];
    if (url && javaPid) {
      javaPids.add(Number(javaPid));
      return { url, javaPid: Number(javaPid) };
    }
    if (started.child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`npm start did not come up:\n${text}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
};

/** SIGINT as Ctrl-C would, then the exit code and whether Java is gone. */
const interrupt = async (started: Started, javaPid: number) => {
  started.child.kill('SIGINT');
  const code = await started.exit;
  return { code, javaAlive: isAlive(javaPid) };
};

describe('npm start (local/main.ts)', () => {
  it('serves the API, keeps data across restarts, and stops cleanly on Ctrl-C', async () => {
    const first = startMain({});
    const { url, javaPid } = await waitUntilListening(first);
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    // Java takes seconds to start: the first line says what is happening meanwhile.
    expect(first.output().split('\n')[0]).toBe(
      `Starting DynamoDB Local (data in ${dataDir}); this takes a few seconds…`,
    );

    const openapi = await fetch(`${url}/v1/openapi.json`);
    expect(openapi.status).toBe(200);
    expect((await openapi.json()).openapi).toMatch(/^3\.1/);
    const created = await fetch(`${url}/v1/items/kept`, {
      method: 'PUT',
      headers: { ...auth, 'content-type': 'application/json', 'if-none-match': '*' },
      body: JSON.stringify({ note: 'survives a restart' }),
    });
    expect(created.status).toBe(201);
    expect((await fetch(`${url}/nowhere`)).status).toBe(404);

    expect(await interrupt(first, javaPid)).toEqual({ code: 0, javaAlive: false });
    expect(first.output()).not.toMatch(/NodeVersionSupportWarning/);

    const second = startMain({});
    const again = await waitUntilListening(second);
    const read = await fetch(`${again.url}/v1/items/kept`, { headers: auth });
    expect(read.status).toBe(200);
    expect(await read.json()).toMatchObject({ id: 'kept', note: 'survives a restart' });
    expect(await interrupt(second, again.javaPid)).toEqual({ code: 0, javaAlive: false });
  }, 120_000);

  it('exits 1 with one clear line when the port is in use', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const started = startMain({ PORT: String(port) });
      expect(await started.exit).toBe(1);
      expect(started.output()).toContain(`port ${port} is in use`);
      expect(started.output()).toContain('set PORT=');
      expect(started.output()).not.toMatch(/^\s+at /m);
    } finally {
      await new Promise((r) => blocker.close(r));
    }
  });

  it('exits 1 and says how to install Java when there is none', async () => {
    const started = startMain({ PATH: join(dataDir, 'no-bin') });
    expect(await started.exit).toBe(1);
    expect(started.output()).toMatch(/needs Java 17\+.*openjdk-17-jre-headless/);
    expect(started.output()).not.toMatch(/^\s+at /m);
  });
});
