/**
 * Retry arithmetic and the rule for which failures are retried. Pure functions,
 * so the bounds are unit-tested without clocks.
 */
import { type ConcordError, NetworkError, RateLimitedError, UnavailableError } from './errors.js';
import type { BackoffPolicy, RetryPolicy } from './types.js';

/** Transport retries: a few quick attempts, since the caller is usually waiting. */
export const DEFAULT_RETRY_POLICY: Readonly<RetryPolicy> = {
  baseDelayMs: 100,
  maxDelayMs: 2_000,
  maxAttempts: 4,
  maxRetryAfterMs: 20_000,
};

/**
 * Conflict retries in `update()`: short waits first, because contention clears fast. The
 * 500 ms cap was measured (bench/contention.ts, paired runs): with the read after a long wait
 * (update-loop.ts) it gave the most goodput with 16 and 64 writers on one document and no
 * give-ups; 1 s gave less goodput, and before that read, some of 64 writers gave up at 500 ms.
 */
export const DEFAULT_CONFLICT_BACKOFF: Readonly<BackoffPolicy> = {
  baseDelayMs: 20,
  maxDelayMs: 500,
  maxAttempts: 10,
};

/**
 * Full-jitter exponential backoff: uniform in [0, min(maxDelayMs, baseDelayMs * 2^retry)).
 * Full jitter spreads competing writers apart, which equal-delay backoff would not.
 * @param retry 0 for the wait before the first retry.
 */
export function backoffDelay(
  retry: number,
  policy: Pick<BackoffPolicy, 'baseDelayMs' | 'maxDelayMs'>,
  random: () => number,
): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry);
  return random() * ceiling;
}

/**
 * Reads `Retry-After` as delay-seconds or an HTTP-date (RFC 9110 §10.2.3).
 * @returns milliseconds to wait, or `undefined` when absent or unreadable.
 */
export function parseRetryAfter(value: string | null, now: number): number | undefined {
  if (value === null) return undefined;
  const text = value.trim();
  if (/^\d+$/.test(text)) return Number(text) * 1000;
  // HTTP-dates start with the day name; without this check Date.parse('-3') is year -3.
  if (!/^[A-Za-z]{3}/.test(text)) return undefined;
  const at = Date.parse(text);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

/**
 * How long to wait before repeating a failed attempt, or `undefined` to give up.
 * @param retry number of retries already made (0 after the first failure).
 * @param repeatable whether sending the request twice cannot apply it twice
 *   (GET/HEAD, or a write carrying an `Idempotency-Key`).
 */
export function retryDelay(
  error: ConcordError,
  retry: number,
  repeatable: boolean,
  policy: RetryPolicy,
  random: () => number,
): number | undefined {
  if (retry + 1 >= policy.maxAttempts) return undefined;
  const backoff = () => backoffDelay(retry, policy, random);

  // The server refused these without doing the work, so any method may repeat them.
  if (error instanceof RateLimitedError || error instanceof UnavailableError) {
    const after = error.retryAfterMs;
    if (after === undefined) return backoff();
    // Retrying before the server allows only earns another refusal: hand the error to the caller.
    return after <= policy.maxRetryAfterMs ? after : undefined;
  }
  // The first request with this key is still running; asking again gets its answer.
  if (error.code === 'idempotency-in-flight') return backoff();
  // Others kept writing the same records and nothing was written: any method may repeat it.
  if (error.code === 'transaction-conflict' && error.retryable) return backoff();
  // A lost answer or a 5xx may hide an applied write: only repeat what cannot apply twice.
  if (error instanceof NetworkError || error.status >= 500) {
    return repeatable ? backoff() : undefined;
  }
  return undefined;
}

/** Default {@link SleepFn}: a timer that rejects with `signal.reason` as soon as it aborts. */
export function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
