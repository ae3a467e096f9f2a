/**
 * `npm start` (local/main.ts) as a child process for tests: start it on a
 * data folder, read what it prints, find the DynamoDB Local processes that
 * use a data folder, and end everything a test started even when it fails.
 *
 * ```ts
 * const main = startMain({ dataDir });
 * afterEach(() => endAll());
 * const { url, javaPid } = await main.listening();
 * ```
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { dynamoDbPath } from '../../local/paths';
import { isAlive } from '../../local/process-group';

const ROOT = resolve(import.meta.dirname, '../..');

export interface MainProcess {
  readonly child: ChildProcess;
  readonly dataDir: string;
  /** Everything printed so far, stdout and stderr interleaved. */
  output(): string;
  /** The exit code, or null when a signal ended it. */
  readonly exit: Promise<number | null>;
  /** Waits until the output matches `pattern` (a line printed), or throws after `timeoutMs`. */
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Waits for the start-up lines: where it listens, the key, the Java pid. */
  listening(timeoutMs?: number): Promise<{ url: string; devKey: string; javaPid: number }>;
}

const started = new Set<MainProcess>();
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Starts `tsx local/main.ts` with PORT=0 on `dataDir`. `detached` makes it
 * lead its own process group, so a test can kill the group.
 */
export const startMain = (options: {
  dataDir: string;
  env?: Record<string, string>;
  detached?: boolean;
  /** Default `local/main.ts` (`npm start`); `local/dev.ts` is `npm run dev`. */
  script?: string;
  /** The project folder to run in; default this one. */
  cwd?: string;
}): MainProcess => {
  const child = spawn(process.execPath, ['--import', 'tsx', options.script ?? 'local/main.ts'], {
    cwd: options.cwd ?? ROOT,
    env: { ...process.env, CONCORD_DATA_DIR: options.dataDir, PORT: '0', ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
    detached: options.detached ?? false,
  });
  let output = '';
  const collect = (chunk: Buffer): void => {
    output += chunk.toString();
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  const exit = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const waitFor = async (pattern: RegExp, timeoutMs = 60_000): Promise<RegExpExecArray> => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const match = pattern.exec(output);
      if (match) return match;
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`npm start exited before printing ${pattern}:\n${output}`);
      }
      if (Date.now() > deadline)
        throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${output}`);
      await sleep(50);
    }
  };
  const main: MainProcess = {
    child,
    dataDir: options.dataDir,
    output: () => output,
    exit,
    waitFor,
    listening: async (timeoutMs = 60_000) => {
      const java = await waitFor(/DynamoDB Local on \S+ \(pid (\d+)/, timeoutMs);
      const url = /Concord listening on (http:\/\/\S+)/.exec(output)?.[1];
      const devKey = /Development API key: (\S+)/.exec(output)?.[1];
      if (!url || !devKey) throw new Error(`unexpected start-up output:\n${output}`);
      return { url, devKey, javaPid: Number(java[1]) };
    },
  };
  started.add(main);
  return main;
};

/** Pids of DynamoDB Local processes whose command line names this data folder's database. */
export const dynamoProcessesOf = (dataDir: string): number[] => {
  const path = dynamoDbPath(dataDir);
  const listing = execFileSync('ps', ['-eo', 'pid=,args='], { encoding: 'utf8' });
  return listing
    .split('\n')
    .map((line) => /^\s*(\d+)\s+(.*)$/.exec(line))
    .filter((m): m is RegExpExecArray => m !== null)
    .filter(([, , args]) => args?.includes('DynamoDBLocal.jar') && args.includes(path))
    .map(([, pid]) => Number(pid));
};

/** Whether `pid` runs: a zombie (dead, not yet reaped by whoever inherited it) does not. */
export const isRunning = (pid: number): boolean => {
  try {
    const state = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' });
    return state.trim() !== '' && !state.trim().startsWith('Z');
  } catch {
    return false;
  }
};

/** Polls until no DynamoDB Local uses the data folder; returns the pids still there at the end. */
export const waitForNoDynamo = async (dataDir: string, timeoutMs = 15_000): Promise<number[]> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const pids = dynamoProcessesOf(dataDir);
    if (pids.length === 0 || Date.now() > deadline) return pids;
    await sleep(100);
  }
};

const killGroup = (pid: number): void => {
  for (const target of [-pid, pid]) {
    try {
      process.kill(target, 'SIGKILL');
    } catch {
      // Gone already, or not a group leader.
    }
  }
};

/**
 * Ends every process `startMain` started (SIGINT, then SIGKILL) and any
 * DynamoDB Local still using their data folders, so a failed test leaks nothing.
 */
export const endAll = async (): Promise<void> => {
  for (const main of started) {
    const { child } = main;
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGINT');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await main.exit;
      clearTimeout(timer);
    }
    for (const pid of dynamoProcessesOf(main.dataDir)) if (isAlive(pid)) killGroup(pid);
  }
  started.clear();
};
