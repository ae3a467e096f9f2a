/**
 * Keeps `npm start`'s DynamoDB Local running: when Java exits without being
 * asked to, it is started again on the same data folder, on the same port
 * when it is still free (so clients keep their endpoint), after a backoff
 * that doubles with each failure in a row. After too many failures in a row
 * it gives up, so the API never answers 503 forever while claiming to serve.
 */
import {
  type DynamoExit,
  type DynamoLocal,
  DynamoPortInUseError,
  ensureTable,
  localDynamoClient,
  type StartDynamoLocalOptions,
  startDynamoLocal,
} from './dynamo-local';

export interface SupervisorOptions {
  /** Absolute folder of the persistent database. */
  readonly path: string;
  /** Port of the first start; 0 or absent picks a free one. */
  readonly port?: number;
  /**
   * Runs after every start, before the instance is used (creating the table
   * if need be); a failure counts as a failed start.
   */
  readonly prepare: (dynamo: DynamoLocal) => Promise<void>;
  /** One line per event: an unexpected exit, a restart, giving up. */
  readonly log: (line: string) => void;
  /** Called after every restart, with the new instance (its endpoint may have changed). */
  readonly onRestart?: (dynamo: DynamoLocal) => void | Promise<void>;
  /** Called once when restarting failed `maxFailures` times in a row; nothing runs any more. */
  readonly onGiveUp: (message: string) => void;
  /** Default 5. */
  readonly maxFailures?: number;
  /** Wait before the first restart, doubled for each failure in a row. Default 500 ms. */
  readonly initialBackoffMs?: number;
  /** An instance that ran this long before exiting starts a new count of failures. Default 60 s. */
  readonly stableAfterMs?: number;
  /** Starts DynamoDB Local; replaceable for tests. */
  readonly start?: (options: StartDynamoLocalOptions) => Promise<DynamoLocal>;
}

export interface SupervisedDynamo {
  /** The running instance; replaced after a restart. */
  current(): DynamoLocal;
  /** Stops supervising and stops Java. Safe to call twice. */
  stop(): Promise<void>;
}

const describeExit = ({ code, signal }: DynamoExit): string =>
  signal ? `was killed by ${signal}` : `exited with code ${code}`;

const firstLine = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n')[0] ?? '';

/** Creates the table on a fresh instance unless it exists; the usual `prepare`. */
export const ensureTableOn =
  (tableName: string) =>
  async (dynamo: DynamoLocal): Promise<void> => {
    const admin = localDynamoClient(dynamo.endpoint);
    try {
      await ensureTable(admin, tableName);
    } finally {
      admin.destroy();
    }
  };

/**
 * Starts DynamoDB Local and supervises it. A failure of the first start is
 * thrown (it is a start-up error); later failures are retried.
 */
export const superviseDynamoLocal = async (
  options: SupervisorOptions,
): Promise<SupervisedDynamo> => {
  const { path, prepare, log, maxFailures = 5, initialBackoffMs = 500 } = options;
  const stableAfterMs = options.stableAfterMs ?? 60_000;
  const start = options.start ?? startDynamoLocal;

  const prepared = async (dynamo: DynamoLocal): Promise<DynamoLocal> => {
    try {
      await prepare(dynamo);
      return dynamo;
    } catch (error) {
      await dynamo.stop();
      throw error;
    }
  };

  let current = await prepared(
    await start({ path, ...(options.port ? { port: options.port } : {}) }),
  );
  // The same port keeps every client's endpoint valid; if someone took it, any port.
  const startAgain = (port: number): Promise<DynamoLocal> =>
    start({ path, port }).catch((error: unknown) => {
      if (!(error instanceof DynamoPortInUseError)) throw error;
      return start({ path });
    });
  let startedAt = Date.now();
  let failures = 0;
  let stopped = false;
  let wake: (() => void) | undefined;

  const sleep = (ms: number): Promise<void> =>
    new Promise((resolve) => {
      const timer = setTimeout(resolve, ms);
      wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });

  const restart = async (reason: string): Promise<void> => {
    for (;;) {
      failures++;
      if (failures > maxFailures) {
        stopped = true;
        options.onGiveUp(
          `DynamoDB Local failed ${maxFailures} times in a row (last: ${reason}); giving up`,
        );
        return;
      }
      const delayMs = initialBackoffMs * 2 ** (failures - 1);
      log(
        `DynamoDB Local ${reason}; restarting it in ${delayMs / 1000} s ` +
          `(attempt ${failures} of ${maxFailures})`,
      );
      await sleep(delayMs);
      if (stopped) return;
      try {
        const next = await prepared(await startAgain(current.port));
        if (stopped) {
          await next.stop();
          return;
        }
        current = next;
        startedAt = Date.now();
        log(`DynamoDB Local restarted on ${next.endpoint} (pid ${next.pid})`);
        await options.onRestart?.(next);
        watch(next);
        return;
      } catch (error) {
        reason = `could not be restarted: ${firstLine(error)}`;
      }
    }
  };

  const watch = (dynamo: DynamoLocal): void => {
    void dynamo.exited
      .then(async (exit) => {
        if (stopped || dynamo !== current) return;
        // Clears what is left of it: its watchdog, its pid file.
        await dynamo.stop();
        if (Date.now() - startedAt >= stableAfterMs) failures = 0;
        await restart(`${describeExit(exit)} unexpectedly`);
      })
      .catch((error: unknown) => {
        stopped = true;
        options.onGiveUp(`supervising DynamoDB Local failed: ${firstLine(error)}`);
      });
  };
  watch(current);

  let stopping: Promise<void> | undefined;
  return {
    current: () => current,
    stop: () => {
      stopped = true;
      wake?.();
      stopping ??= current.stop();
      return stopping;
    },
  };
};
