/**
 * API keys: what a key is, how it is stored (a hash only) and the storage
 * port that admits a request. Authentication and rate limiting are one
 * conditional write on the key's own record, so together they cost one
 * DynamoDB call and hold across any number of Lambda instances.
 *
 * Rate limiting is GCRA (the generic cell rate algorithm, a token bucket
 * kept as one timestamp): a key may make `quota` requests per `windowSeconds`,
 * spaced by `interval`, and may burst up to its whole quota. `tat` is the
 * theoretical arrival time of the next request; a request is admitted when
 * `tat - tolerance <= now`, kept here as `allowAt` so that DynamoDB can
 * compare it without arithmetic in the condition.
 */
import { createHash, randomBytes } from 'node:crypto';

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
export const hashApiKey = (key: string): string =>
  createHash('sha256').update(key, 'utf8').digest('hex');

export const keyIdOf = (hash: string): string => hash.slice(0, 16);

/** Thrown by an {@link ApiKeyStore} when an admission condition did not hold. */
export class KeyConditionFailedError extends Error {
  constructor(readonly current: ApiKeyRecord | undefined) {
    super('key condition failed');
    this.name = 'KeyConditionFailedError';
  }
}

/**
 * The storage port for API keys. Every admission is one conditional write;
 * GCRA's `max(tat, now)` becomes two writes, one per side of the max, and
 * the caller picks the likely one first.
 */
export interface ApiKeyStore {
  /**
   * Admits a request to an idle key (`tat <= now`): `tat = now + interval`.
   * Needs the key to exist and not be revoked. Returns the record after.
   */
  admitIdle(hash: string, now: number): Promise<ApiKeyRecord>;
  /**
   * Admits a request to a busy key (`tat > now`, `allowAt <= now`):
   * `tat += interval`. Needs the key to exist and not be revoked.
   */
  admitBusy(hash: string, now: number): Promise<ApiKeyRecord>;
  /** Stores a new key unless one with this hash exists; tells whether it stored it. */
  create(hash: string, record: ApiKeyRecord): Promise<boolean>;
  list(): Promise<ApiKeyRecord[]>;
  /** Marks a key revoked; false when no such key id exists. */
  revoke(keyId: string, at: string): Promise<boolean>;
}
