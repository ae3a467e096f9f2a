/**
 * API keys: what a key is, how it is stored (a hash only) and the storage
 * port that hands out rate-limit tokens. Authentication and rate limiting are
 * one conditional write on the key's own record, so they hold across any
 * number of Lambda instances; an instance claims tokens in blocks, so that
 * write is rare (see access.ts).
 *
 * Rate limiting is GCRA (the generic cell rate algorithm, a token bucket
 * kept as one timestamp): a key may make `quota` requests per `windowSeconds`,
 * spaced by `interval`, and may burst up to its whole quota. `tat` is the
 * theoretical arrival time of the next request; a request is admitted when
 * `tat - tolerance <= now`, kept here as `allowAt` so that DynamoDB can
 * compare it without arithmetic in the condition. Claiming n tokens at once
 * moves `tat` to `max(tat, now) + n × interval`, and is allowed while that is
 * at most `now + tolerance + interval`.
 */
import { hash, randomBytes } from 'node:crypto';

export type Scope = 'read' | 'write';
export const SCOPES: readonly Scope[] = ['read', 'write'];

/** Tenant ids: lowercase letters, digits and `-`, 1–63 long. */
export const TENANT_PATTERN = /^[a-z0-9][a-z0-9-]{0,62}$/;

/** A stored key. The key itself is never stored, only its SHA-256. */
export interface ApiKeyRecord {
  /** Public handle of the key: the first 16 hex digits of its hash. */
  readonly keyId: string;
  readonly tenant: string;
  readonly scopes: readonly Scope[];
  readonly name: string;
  /** Requests admitted per rate window. */
  readonly quota: number;
  readonly createdAt: string;
  readonly revokedAt?: string;
  /** The window the quota is stated for (the `w` of RateLimit-Policy). */
  readonly windowSeconds: number;
  /** Milliseconds between requests at the sustained rate: window / quota. */
  readonly intervalMs: number;
  /** `interval - tolerance`, where tolerance = (quota - 1) × interval lets the whole quota burst. */
  readonly intervalLessToleranceMs: number;
  /** Theoretical arrival time of the next request, epoch milliseconds. */
  readonly tat: number;
  /** `tat - tolerance`: the earliest time the next request is admitted. */
  readonly allowAt: number;
}

/** The GCRA parameters of a quota per window. */
export const rateParameters = (quota: number, windowSeconds: number) => {
  const intervalMs = (windowSeconds * 1000) / quota;
  const toleranceMs = (quota - 1) * intervalMs;
  return { windowSeconds, intervalMs, intervalLessToleranceMs: intervalMs - toleranceMs };
};

/** What GCRA needs of a key: its quota, window and the two derived intervals. */
export type KeyRate = Pick<
  ApiKeyRecord,
  'quota' | 'windowSeconds' | 'intervalMs' | 'intervalLessToleranceMs'
>;

/** How far `tat` may run ahead of now: `(quota - 1) × interval`, so the whole quota may burst. */
const toleranceOf = (rate: KeyRate): number => rate.intervalMs - rate.intervalLessToleranceMs;

/**
 * Tokens the key's record can grant at `now`: the most n for which
 * `max(tat, now) + n × interval <= now + tolerance + interval`, 0 to quota.
 */
export const availableTokens = (rate: KeyRate, tat: number, now: number): number => {
  const room = now + toleranceOf(rate) + rate.intervalMs - Math.max(tat, now);
  // The epsilon absorbs binary rounding of intervals such as 60000 / 7.
  return Math.max(0, Math.min(rate.quota, Math.floor(room / rate.intervalMs + 1e-9)));
};

/** When the key's record grants its next token (`allowAt`). */
export const nextTokenAt = (rate: KeyRate, tat: number): number => tat - toleranceOf(rate);

/**
 * A claim of n tokens in one write, from the side of GCRA's max(tat, now)
 * the instance last saw. A `tat` seen ahead of now stays ahead (it never moves
 * back), so the busy side needs no exact knowledge of it: "the record has n
 * tokens now" is `allowAt <= now - (n - 1) × interval`, and the write adds
 * n intervals to whatever `tat` is. A `tat` seen behind now may have been
 * moved ahead since; the idle write then fails and says so.
 */
export interface BlockClaim {
  readonly side: 'idle' | 'busy';
  readonly now: number;
  /** n × interval: how far the claim moves `tat`. */
  readonly spanMs: number;
  /** Idle: `allowAt` after the claim. Busy: the latest `allowAt` that still leaves n tokens now. */
  readonly allowAt: number;
  /** The rate the claim was computed with: the write is refused if the record's differs. */
  readonly intervalMs: number;
  readonly intervalLessToleranceMs: number;
}

/** The claim of `n` tokens at `now` (n may be 0: a write that only confirms the key). */
export const blockClaim = (rate: KeyRate, seenTat: number, now: number, n: number): BlockClaim => {
  const spanMs = n * rate.intervalMs;
  const { intervalMs, intervalLessToleranceMs } = rate;
  return seenTat > now
    ? {
        side: 'busy',
        now,
        spanMs,
        allowAt: now - (n - 1) * intervalMs,
        ...{ intervalMs, intervalLessToleranceMs },
      }
    : {
        side: 'idle',
        now,
        spanMs,
        allowAt: now + spanMs - toleranceOf(rate),
        ...{ intervalMs, intervalLessToleranceMs },
      };
};

export interface Principal {
  readonly tenant: string;
  readonly keyId: string;
  readonly scopes: readonly Scope[];
}

/**
 * A fresh key: 256 random bits, base64url, with a prefix that secret
 * scanners can recognise.
 */
export const generateApiKey = (): string => `ck_${randomBytes(32).toString('base64url')}`;

/** SHA-256 of a presented key. Keys are high-entropy, so no salt or slow hash is needed. */
export const hashApiKey = (key: string): string => hash('sha256', key, 'hex');

export const keyIdOf = (hash: string): string => hash.slice(0, 16);

/** Thrown by an {@link ApiKeyStore} when an admission condition did not hold. */
export class KeyConditionFailedError extends Error {
  constructor(readonly current: ApiKeyRecord | undefined) {
    super('key condition failed');
    this.name = 'KeyConditionFailedError';
  }
}

/**
 * The storage port for API keys. Every admission write is conditional on the
 * key existing and not being revoked, returns the record after it, and, when
 * its condition fails, throws {@link KeyConditionFailedError} with the record
 * as it was.
 */
export interface ApiKeyStore {
  /**
   * One token from an idle key (`tat <= now`): `tat = now + interval`. With
   * {@link admitBusy} it needs nothing known about the key: one of the two
   * holds whatever the key's state, so an instance that has never seen the
   * key sends both at once.
   */
  admitIdle(hash: string, now: number): Promise<ApiKeyRecord>;
  /** One token from a busy key (`tat > now`, `allowAt <= now`): `tat += interval`. */
  admitBusy(hash: string, now: number): Promise<ApiKeyRecord>;
  /** A block of tokens computed from a known state; see {@link BlockClaim}. */
  claimBlock(hash: string, claim: BlockClaim): Promise<ApiKeyRecord>;
  /** Stores a new key unless one with this hash exists; tells whether it stored it. */
  create(hash: string, record: ApiKeyRecord): Promise<boolean>;
  list(): Promise<ApiKeyRecord[]>;
  /** Marks a key revoked; false when no such key id exists. */
  revoke(keyId: string, at: string): Promise<boolean>;
}
