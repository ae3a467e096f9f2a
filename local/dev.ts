/**
 * `npm run dev`: `npm start` that reloads the handlers when their code
 * changes, without restarting DynamoDB Local. This process starts and keeps
 * DynamoDB Local (as `npm start` does); the API itself runs in a child
 * process, `local/main.ts` pointed at that DynamoDB Local through
 * AWS_ENDPOINT_URL_DYNAMODB, and a change under functions/ or local/ or to the
 * configuration replaces the child: a fresh module graph, the same Java.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { type FSWatcher, watch } from 'node:fs';
import { basename, dirname, join, relative } from 'node:path';
import { ENDPOINT_ENV } from './external-dynamo';
import { configPathFromEnv, dynamoDbPath, LOCAL_TABLE_NAME, PROJECT_ROOT } from './paths';
import { freePort } from './ports';
import { settingsFromEnv, startupFailureMessage } from './startup';
import { ensureTableOn, superviseDynamoLocal } from './supervisor';

const WATCHED = ['functions', 'local'];
const SETTLE_MS = 200;

const say = (line: string): void => console.log(`concord dev: ${line}`);

const main = async (): Promise<void> => {
  // Checked here too, so a bad setting fails before Java starts.
  const { port: askedPort, dynamoPort, dataDir } = settingsFromEnv();
  // A port chosen once, so every reload serves on the same URL.
  const port = askedPort === 0 ? await freePort() : askedPort;
  let endpoint = '';
  say(`starting DynamoDB Local (data in ${dataDir}); this takes a few seconds…`);
  const dynamo = await superviseDynamoLocal({
    path: dynamoDbPath(dataDir),
    ...(dynamoPort ? { port: dynamoPort } : {}),
    prepare: ensureTableOn(LOCAL_TABLE_NAME),
    log: (line) => console.error(`concord: ${line}`),
    // On the same port the API reconnects by itself; on another one it must be told.
    onRestart: (next) => {
      if (next.endpoint !== endpoint) reload(`DynamoDB Local moved to ${next.endpoint}`);
    },
    onGiveUp: (message) => {
      console.error(`concord: ${message}`);
      void stop(1);
    },
  });
  const { pid } = dynamo.current();
  endpoint = dynamo.current().endpoint;
  say(`DynamoDB Local on ${endpoint} (pid ${pid}, data in ${dataDir})`);

  let child: ChildProcess | undefined;
  let stopping = false;
  const startApi = (): void => {
    // An IPC channel: the API ends itself when this process is gone.
    const next = fork(join(PROJECT_ROOT, 'local/main.ts'), [], {
      cwd: PROJECT_ROOT,
      execArgv: ['--import', 'tsx'],
      env: {
        ...process.env,
        [ENDPOINT_ENV]: endpoint,
        PORT: String(port),
        CONCORD_DATA_DIR: dataDir,
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    next.once('exit', (code, signal) => {
      if (child === next) child = undefined;
      if (!stopping && !restarting) {
        say(`the API exited (${signal ?? `code ${code}`}); waiting for a change to start it again`);
      }
    });
    child = next;
  };
  const stopApi = async (): Promise<void> => {
    const running = child;
    if (!running || running.exitCode !== null || running.signalCode !== null) return;
    const exited = new Promise((done) => running.once('exit', done));
    running.kill('SIGTERM');
    const timer = setTimeout(() => running.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  };

  let restarting = false;
  let pending: string | undefined;
  let timer: NodeJS.Timeout | undefined;
  // Changes come in bursts (an editor writes, renames, touches); reload once they settle.
  const reload = (why: string): void => {
    pending = why;
    clearTimeout(timer);
    timer = setTimeout(() => void restart(), SETTLE_MS);
  };
  const restart = async (): Promise<void> => {
    if (stopping || restarting) return;
    endpoint = dynamo.current().endpoint;
    restarting = true;
    const why = pending;
    pending = undefined;
    say(`${why}; reloading the API`);
    await stopApi();
    restarting = false;
    if (stopping) return;
    startApi();
    if (pending) reload(pending);
  };

  const watchers: FSWatcher[] = WATCHED.map((folder) =>
    watch(join(PROJECT_ROOT, folder), { recursive: true }, (_event, file) => {
      if (file && /\.(ts|json)$/.test(file)) reload(`${folder}/${file} changed`);
    }),
  );
  // The folder, not the file: editors that save by renaming would end a file watch.
  const configPath = configPathFromEnv();
  watchers.push(
    watch(dirname(configPath), (_event, file) => {
      if (file === basename(configPath)) reload(`${relative(PROJECT_ROOT, configPath)} changed`);
    }),
  );

  const stop = async (code: number): Promise<never> => {
    stopping = true;
    clearTimeout(timer);
    for (const watcher of watchers) watcher.close();
    await stopApi();
    await dynamo.stop();
    process.exit(code);
  };
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) process.exit(1);
    say(`${signal}: stopping`);
    void stop(0);
  };
  process.on('SIGINT', shutdown);
  process.on('SIGTERM', shutdown);

  startApi();
  say(`watching ${WATCHED.join('/, ')}/ and ${relative(PROJECT_ROOT, configPath)}`);
};

main().catch((error: unknown) => {
  console.error(startupFailureMessage(error));
  process.exit(1);
});
