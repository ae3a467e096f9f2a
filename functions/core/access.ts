/**
 * Admission of a request: authenticate the bearer key, count it against the
 * key's rate window, check the scope. Fixed windows aligned to the epoch, so
 * every instance agrees on the window without talking to the others.
 */
import {
  type ApiKeyStore,
  hashApiKey,
  KeyConditionFailedError,
  type Principal,
  type Scope,
} from './api-keys';
import { ForbiddenError, RateLimitedError, UnauthorizedError } from './errors';

export interface RateState {
  readonly policy: string;
  readonly quota: number;
  readonly windowSeconds: number;
  readonly remaining: number;
  /** Seconds until the window resets. */
  readonly resetSeconds: number;
}

export interface Admission {
  readonly principal: Principal;
  readonly rate: RateState;
}

export interface AccessOptions {
  readonly keys: ApiKeyStore;
  readonly windowSeconds: number;
  readonly now?: () => number;
}

export const RATE_POLICY_NAME = 'default';
const TOKEN = /^[\x21-\x7e]{1,256}$/;
/** Remembers the last window seen per key, so the warm path starts with the right write. */
const HINT_LIMIT = 10_000;

const bearerToken = (authorization: string | undefined): string => {
  const match = /^Bearer +(\S+) *$/i.exec(authorization ?? '');
  const token = match?.[1];
  if (!token || !TOKEN.test(token)) {
    throw new UnauthorizedError(
      'an API key is required: Authorization: Bearer <key>',
      !!authorization,
    );
  }
  return token;
};

/** Creates the admission service. */
export const createAccessService = ({ keys, windowSeconds, now = Date.now }: AccessOptions) => {
  const lastWindow = new Map<string, number>();

  const remember = (hash: string, window: number) => {
    if (lastWindow.size >= HINT_LIMIT) lastWindow.clear();
    lastWindow.set(hash, window);
  };

  return {
    /**
     * Admits one request: 401 for a missing, unknown or revoked key (all
     * alike), 429 past the key's quota, 403 without the scope.
     */
    async admit(authorization: string | undefined, scope: Scope): Promise<Admission> {
      const hash = hashApiKey(bearerToken(authorization));
      const nowMs = now();
      let window = Math.floor(nowMs / 1000 / windowSeconds) * windowSeconds;
      let fresh = lastWindow.get(hash) !== window;
      for (let attempt = 0; attempt < 4; attempt++) {
        try {
          const record = fresh
            ? await keys.startWindow(hash, window)
            : await keys.consume(hash, window);
          remember(hash, window);
          const principal = { tenant: record.tenant, keyId: record.keyId, scopes: record.scopes };
          if (!record.scopes.includes(scope)) {
            throw new ForbiddenError(`this API key lacks the "${scope}" scope`);
          }
          return {
            principal,
            rate: {
              policy: RATE_POLICY_NAME,
              quota: record.quota,
              windowSeconds,
              remaining: Math.max(0, record.quota - record.count),
              resetSeconds: Math.max(1, Math.ceil(window + windowSeconds - nowMs / 1000)),
            },
          };
        } catch (error) {
          if (!(error instanceof KeyConditionFailedError)) throw error;
          const current = error.current;
          if (!current || current.revokedAt) {
            throw new UnauthorizedError('the API key is unknown or revoked', true);
          }
          // Another instance's clock may already be in the next window: follow it.
          if (current.windowStart > window) window = current.windowStart;
          if (current.windowStart === window && current.count >= current.quota) {
            remember(hash, window);
            const resetSeconds = Math.max(1, Math.ceil(window + windowSeconds - nowMs / 1000));
            throw new RateLimitedError('the rate limit of this API key is exhausted', {
              policy: RATE_POLICY_NAME,
              quota: current.quota,
              windowSeconds,
              remaining: 0,
              resetSeconds,
            });
          }
          fresh = current.windowStart < window;
        }
      }
      throw new RateLimitedError('too much contention on this API key', {
        policy: RATE_POLICY_NAME,
        quota: 0,
        windowSeconds,
        remaining: 0,
        resetSeconds: 1,
      });
    },
  };
};

export type AccessService = ReturnType<typeof createAccessService>;
