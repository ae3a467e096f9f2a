/**
 * Admission of a request: authenticate the bearer key, admit it under the
 * key's GCRA rate limit, check the scope, in most requests without a call to
 * the table.
 *
 * Each instance claims blocks of tokens from the key's record, one
 * conditional UpdateItem per block. The write counts the tokens against the
 * quota when it claims them and returns the record, so the instance learns
 * the tenant, scopes and rate state with them; it then admits requests from
 * its block while the block lasts and the record it saw is fresh. Across
 * instances the quota is never exceeded (every token was counted by a
 * conditional write); tokens an instance does not spend are lost, which can
 * only admit less. A revoked key stops being admitted within `freshMs`.
 */
import {
  type ApiKeyStore,
  availableTokens,
  hashApiKey,
  type Principal,
  type Scope,
} from './api-keys';
import { ForbiddenError, RateLimitedError, retryAfterSeconds, UnauthorizedError } from './errors';
import {
  type BlockSizing,
  type CachedKey,
  remainingAt,
  takeToken,
  tokensLeft,
  waitForFloorMs,
  worthClaiming,
} from './key-cache';
import { createKeyClaims } from './key-claims';

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
  /** Calls to the table this request waited for before it was admitted (0: from the block). */
  readonly roundTrips: number;
  /**
   * A claim this request started for the requests after it. It runs while the
   * request does its own work; the request waits for it before it ends, so a
   * Lambda instance is never frozen in the middle of it. Never rejects.
   */
  readonly pending?: Promise<void>;
}

export interface AdmissionSettings extends BlockSizing {
  /** How long the table's word on a key is trusted: revocation takes effect within this. */
  readonly freshMs: number;
  /** How long an unknown or revoked key is refused without asking the table. */
  readonly refusedMs: number;
}

export const DEFAULT_ADMISSION: AdmissionSettings = {
  freshMs: 5_000,
  refusedMs: 5_000,
  blockSpanMs: 1_000,
  maxBlockShare: 0.05,
};

export interface AccessOptions {
  readonly keys: ApiKeyStore;
  readonly now?: () => number;
  /** Spreads out instances that contend for one key; `Math.random` when absent. */
  readonly random?: () => number;
  readonly settings?: Partial<AdmissionSettings>;
}

export const RATE_POLICY_NAME = 'default';
const TOKEN = /^[\x21-\x7e]{1,256}$/;
/** Keys remembered per instance, known and refused alike; beyond it the memory starts over. */
const CACHE_LIMIT = 10_000;
/** Claims a request may wait for before it is told to retry. */
const MAX_ROUNDS = 8;

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

const unknownKey = () => new UnauthorizedError('the API key is unknown or revoked', true);

const rateState = (entry: CachedKey, at: number): RateState => ({
  policy: RATE_POLICY_NAME,
  quota: entry.rate.quota,
  windowSeconds: entry.rate.windowSeconds,
  remaining: remainingAt(entry, at),
  resetSeconds: retryAfterSeconds(Math.max(entry.tat, at) - at),
});

const exhausted = (entry: CachedKey, at: number, message: string, waitMs: number) =>
  new RateLimitedError(message, {
    ...rateState(entry, at),
    remaining: 0,
    resetSeconds: retryAfterSeconds(waitMs),
  });

/** Creates the admission service of one instance. */
export const createAccessService = ({
  keys,
  now = Date.now,
  random = Math.random,
  settings,
}: AccessOptions) => {
  const s: AdmissionSettings = { ...DEFAULT_ADMISSION, ...settings };
  const known = new Map<string, CachedKey>();
  const refusedUntil = new Map<string, number>();
  const firstClaims = new Map<string, Promise<void>>();

  const bounded = <V>(map: Map<string, V>, hash: string, value: V) => {
    if (map.size >= CACHE_LIMIT && !map.has(hash)) map.clear();
    map.set(hash, value);
  };
  const refuse = (hash: string, at: number): UnauthorizedError => {
    known.delete(hash);
    bounded(refusedUntil, hash, at + s.refusedMs);
    return unknownKey();
  };
  const isFresh = (entry: CachedKey, at: number) => at - entry.verifiedAt < s.freshMs;

  const { claimFirst, claimBlock } = createKeyClaims({ keys, now, random, settings: s, refuse });
  const remember = (hash: string, entry: CachedKey) => bounded(known, hash, entry);

  const claimFor = (hash: string, entry: CachedKey): Promise<void> => {
    entry.claiming ??= claimBlock(hash, entry).finally(() => {
      entry.claiming = undefined;
    });
    return entry.claiming;
  };

  /** Joins the claim in flight for this key, or starts one. */
  const waitForClaim = async (hash: string, entry: CachedKey | undefined): Promise<void> => {
    if (!entry) {
      let first = firstClaims.get(hash);
      if (!first) {
        first = claimFirst(hash)
          .then((learnt) => remember(hash, learnt))
          .finally(() => firstClaims.delete(hash));
        firstClaims.set(hash, first);
      }
      return first;
    }
    entry.waiting++;
    try {
      await claimFor(hash, entry);
    } finally {
      entry.waiting--;
    }
  };

  /** Starts the next claim while this request runs, when the block runs low or ages. */
  const refillAhead = (hash: string, entry: CachedKey, at: number): Promise<void> | undefined => {
    if (entry.claiming) return undefined;
    const aging = at - entry.verifiedAt >= s.freshMs / 2;
    const low = tokensLeft(entry, at) <= entry.lowWater;
    if (!aging && !(low && worthClaiming(entry, availableTokens(entry.rate, entry.tat, at), at))) {
      return undefined;
    }
    // Whoever needs the outcome sees it in the cache; this request only waits for it to end.
    return claimFor(hash, entry).catch(() => {});
  };

  return {
    /**
     * Admits one request: 401 for a missing, unknown or revoked key (all
     * alike), 429 past the key's rate, 403 without the scope.
     */
    async admit(authorization: string | undefined, scope: Scope): Promise<Admission> {
      const hash = hashApiKey(bearerToken(authorization));
      let counted = false;
      for (let round = 0; round < MAX_ROUNDS; round++) {
        const at = now();
        if ((refusedUntil.get(hash) ?? Number.NEGATIVE_INFINITY) > at) throw unknownKey();
        const entry = known.get(hash);
        if (entry && isFresh(entry, at)) {
          if (!entry.principal.scopes.includes(scope)) {
            throw new ForbiddenError(`this API key lacks the "${scope}" scope`);
          }
          if (!counted) entry.arrivals++;
          counted = true;
          if (takeToken(entry, at)) {
            const pending = refillAhead(hash, entry, at);
            return {
              principal: entry.principal,
              rate: rateState(entry, at),
              roundTrips: round,
              ...(pending ? { pending } : {}),
            };
          }
          // Nothing in hand and nothing worth claiming yet: refuse without asking.
          const worth = worthClaiming(entry, availableTokens(entry.rate, entry.tat, at), at);
          if (!entry.claiming && !worth) {
            const wait = Math.max(waitForFloorMs(entry, at), entry.claimAfter - at);
            throw exhausted(entry, at, 'the rate limit of this API key is exhausted', wait);
          }
        }
        await waitForClaim(hash, entry);
      }
      // Other requests kept taking the tokens this one waited for: a retry settles it.
      const entry = known.get(hash);
      if (!entry) throw unknownKey();
      throw exhausted(entry, now(), 'this API key is admitting many requests at once; retry', 0);
    },
  };
};

export type AccessService = ReturnType<typeof createAccessService>;
