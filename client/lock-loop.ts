/**
 * `withLock`: wait for a document's lease, keep it renewed while the caller's
 * work runs, and always release it. Waiting polls with full-jitter backoff,
 * never past the server's `Retry-After` (when the lease would expire at the
 * latest), because a holder usually releases well before its lease runs out.
 */
import { ConflictError } from './errors.js';
import { backoffDelay, parseRetryAfter } from './retry.js';
import type { BackoffPolicy, Lease } from './types.js';

export interface LockSteps {
  acquire(): Promise<Lease>;
  renew(lockToken: string): Promise<Lease>;
  release(lockToken: string): Promise<void>;
  wait(ms: number): Promise<void>;
  now(): number;
  random(): number;
}

/** Polling for a held lease: quick at first, then no more often than every half second. */
export const LOCK_WAIT_BACKOFF: Readonly<BackoffPolicy> = {
  baseDelayMs: 20,
  maxDelayMs: 500,
  maxAttempts: Number.POSITIVE_INFINITY,
};

export async function runWithLock<R>(
  steps: LockSteps,
  work: (lease: Lease, signal: AbortSignal) => Promise<R>,
  waitMs: number,
): Promise<R> {
  const giveUpAt = steps.now() + waitMs;
  let lease: Lease | undefined;
  for (let retry = 0; !lease; retry++) {
    try {
      lease = await steps.acquire();
    } catch (error) {
      if (!(error instanceof ConflictError) || error.code !== 'lock-held') throw error;
      const until = parseRetryAfter(error.headers?.get('retry-after') ?? null, steps.now());
      const poll = backoffDelay(retry, LOCK_WAIT_BACKOFF, steps.random);
      const delay = until === undefined ? poll : Math.min(poll, until);
      if (steps.now() + delay > giveUpAt) throw error;
      await steps.wait(delay);
    }
  }

  const held = lease;
  // Renew at a third of the lease, so two renewals may fail before it lapses.
  const lost = new AbortController();
  const renewEvery = Math.max(250, (held.ttlSeconds * 1000) / 3);
  let renewing: Promise<void> = Promise.resolve();
  const timer = setInterval(() => {
    renewing = steps.renew(held.lockToken).then(
      () => undefined,
      (error: unknown) => {
        // The work may no longer hold the lease: tell it, and stop renewing.
        clearInterval(timer);
        lost.abort(error);
      },
    );
  }, renewEvery);
  try {
    return await work(held, lost.signal);
  } finally {
    clearInterval(timer);
    await renewing;
    // A release that fails only leaves the lease to expire on its own.
    await steps.release(held.lockToken).catch(() => undefined);
  }
}
