/**
 * What one API request spent in the database: calls, time and throttles.
 * The store's client records every call into the stats of the request it
 * runs for (an AsyncLocalStorage scope the HTTP layer opens per request), so
 * the request log, the metrics and `Server-Timing` can tell where time went
 * without threading a counter through every function.
 */
import { AsyncLocalStorage } from 'node:async_hooks';

export interface RequestStats {
  /** Database requests sent (an SDK call with its own retries counts once). */
  calls: number;
  /** Milliseconds spent waiting for them, summed. */
  ms: number;
  /** Calls that ended throttled after the SDK's retries. */
  throttles: number;
}

const storage = new AsyncLocalStorage<RequestStats>();

/** Runs `fn` with fresh stats that every database call inside it adds to. */
export const withRequestStats = <T>(fn: (stats: RequestStats) => Promise<T>): Promise<T> => {
  const stats: RequestStats = { calls: 0, ms: 0, throttles: 0 };
  return storage.run(stats, () => fn(stats));
};

/** Adds one database call to the stats of the request it runs for, if any. */
export const recordDatabaseCall = (ms: number, throttled: boolean): void => {
  const stats = storage.getStore();
  if (!stats) return;
  stats.calls += 1;
  stats.ms += ms;
  if (throttled) stats.throttles += 1;
};

/** The stats of the request this code runs for; undefined outside one. */
export const currentRequestStats = (): RequestStats | undefined => storage.getStore();
