/**
 * API keys: what a key is, how it is stored (a hash only) and the storage
 * port that admits a request. Authentication and rate limiting are one
 * conditional write on the key's own record, so together they cost one
 * DynamoDB call and hold across any number of Lambda instances.
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
  /** Start of the rate window the count belongs to, epoch seconds. */
  readonly windowStart: number;
  readonly count: number;
}

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

/** The storage port for API keys. Every admission is one conditional write. */
export interface ApiKeyStore {
  /**
   * Counts one request in `window` if the key exists, is not revoked, its
   * count belongs to `window` and is below its quota. Returns the record after.
   */
  consume(hash: string, window: number): Promise<ApiKeyRecord>;
  /**
   * Starts `window` with a count of one if the key exists, is not revoked and
   * its count belongs to an earlier window. Returns the record after.
   */
  startWindow(hash: string, window: number): Promise<ApiKeyRecord>;
  /** Stores a new key unless one with this hash exists; tells whether it stored it. */
  create(hash: string, record: ApiKeyRecord): Promise<boolean>;
  list(): Promise<ApiKeyRecord[]>;
  /** Marks a key revoked; false when no such key id exists. */
  revoke(keyId: string, at: string): Promise<boolean>;
}
