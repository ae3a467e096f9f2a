/**
 * One signal per public call that fires on the caller's abort or the deadline,
 * with our own error as its reason, so every await in the call (fetch, body,
 * backoff) stops the same way and reports why.
 *
 * A private controller is used instead of `AbortSignal.any`/`AbortSignal.timeout`:
 * it runs on every platform, its timer can be cleared when the call ends (no
 * stray timers keeping a process alive), and its listener on the caller's signal
 * is removed, so long-lived caller signals do not accumulate listeners.
 */
import { AbortedError, TimeoutError } from './errors.js';

export interface CallScope {
  readonly signal: AbortSignal;
  /** Milliseconds left before the deadline (`Infinity` without one). */
  remainingMs(): number;
  /** Throws the scope's error if it has fired. */
  throwIfAborted(): void;
  close(): void;
}

export function openScope(callerSignal: AbortSignal | undefined, timeoutMs: number): CallScope {
  const controller = new AbortController();
  const deadline = timeoutMs > 0 ? Date.now() + timeoutMs : Number.POSITIVE_INFINITY;
  const onCallerAbort = () => controller.abort(new AbortedError(callerSignal?.reason));

  if (callerSignal?.aborted) onCallerAbort();
  else callerSignal?.addEventListener('abort', onCallerAbort, { once: true });
  const timer =
    timeoutMs > 0
      ? setTimeout(() => controller.abort(new TimeoutError(timeoutMs)), timeoutMs)
      : undefined;

  return {
    signal: controller.signal,
    remainingMs: () => deadline - Date.now(),
    throwIfAborted: () => {
      if (controller.signal.aborted) throw controller.signal.reason;
    },
    close: () => {
      if (timer !== undefined) clearTimeout(timer);
      callerSignal?.removeEventListener('abort', onCallerAbort);
    },
  };
}

/**
 * Settles with `promise`, or rejects with the scope's error as soon as it fires,
 * even if an injected `fetch` ignores its signal.
 */
export function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
