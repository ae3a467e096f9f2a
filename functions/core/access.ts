/**
 * Admission of a request: authenticate the bearer key, admit it under the
 * key's GCRA rate limit, check the scope. One conditional write on the key's
 * record does the first two.
 */
import {
  type ApiKeyRecord,
  type ApiKeyStore,
  hashApiKey,
  KeyConditionFailedError,
  type Principal,
  type Scope,
} from './api-keys';
import { ForbiddenError, RateLimitedError, retryAfterSeconds, UnauthorizedError } from './errors';

export interface RateState {
  readonly policy: string;
  readonly quota: number;
  readonly windowSeconds: number;
  /** Requests that could be made right now. */
  readonly remaining: number;
  /** Seconds until the whole quota is available again (after a 429: until the next admission). */
  readonly resetSeconds: number;
}

export interface Admission {
  readonly principal: Principal;
  readonly rate: RateState;
}

export interface AccessOptions {
  readonly keys: ApiKeyStore;
  readonly now?: () => number;
}

export const RATE_POLICY_NAME = 'default';
const TOKEN = /^[\x21-\x7e]{1,256}$/;
/** Remembers each key's last known `tat`, so the warm path starts with the right write. */
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

/** The rate state after an admission, from the record the write returned. */
const stateAfter = (record: ApiKeyRecord, now: number): RateState => ({
  policy: RATE_POLICY_NAME,
  quota: record.quota,
  windowSeconds: record.windowSeconds,
  remaining: Math.max(0, Math.floor((now - record.allowAt) / record.intervalMs) + 1),
  resetSeconds: retryAfterSeconds(record.tat - now),
});

/** Creates the admission service. */
export const createAccessService = ({ keys, now = Date.now }: AccessOptions) => {
  const lastTat = new Map<string, number>();
  const remember = (hash: string, tat: number) => {
    if (lastTat.size >= HINT_LIMIT) lastTat.clear();
    lastTat.set(hash, tat);
  };

  return {
    /**
     * Admits one request: 401 for a missing, unknown or revoked key (all
     * alike), 429 past the key's rate, 403 without the scope.
     */
    async admit(authorization: string | undefined, scope: Scope): Promise<Admission> {
      const hash = hashApiKey(bearerToken(authorization));
      const at = now();
      let tryBusy = (lastTat.get(hash) ?? 0) > at;
      let seen: ApiKeyRecord | undefined;
      // Each refusal tells which side of max(tat, now) holds, so a second try
      // normally settles it; a third covers clock skew between instances.
      for (let attempt = 0; attempt < 3; attempt++) {
        try {
          const record = tryBusy ? await keys.admitBusy(hash, at) : await keys.admitIdle(hash, at);
          remember(hash, record.tat);
          if (!record.scopes.includes(scope)) {
            throw new ForbiddenError(`this API key lacks the "${scope}" scope`);
          }
          return {
            principal: { tenant: record.tenant, keyId: record.keyId, scopes: record.scopes },
            rate: stateAfter(record, at),
          };
        } catch (error) {
          if (!(error instanceof KeyConditionFailedError)) throw error;
          const current = error.current;
          seen = current;
          if (!current || current.revokedAt) {
            throw new UnauthorizedError('the API key is unknown or revoked', true);
          }
          const isBusy = current.tat > at;
          remember(hash, current.tat);
          if (isBusy && current.allowAt > at) {
            throw new RateLimitedError('the rate limit of this API key is exhausted', {
              policy: RATE_POLICY_NAME,
              quota: current.quota,
              windowSeconds: current.windowSeconds,
              remaining: 0,
              resetSeconds: retryAfterSeconds(current.allowAt - at),
            });
          }
          tryBusy = isBusy;
        }
      }
      // Other instances kept moving the key between our writes: a retry settles it.
      throw new RateLimitedError('this API key is admitting many requests at once; retry', {
        policy: RATE_POLICY_NAME,
        quota: seen?.quota ?? 1,
        windowSeconds: seen?.windowSeconds ?? 1,
        remaining: 0,
        resetSeconds: 1,
      });
    },
  };
};

export type AccessService = ReturnType<typeof createAccessService>;
