/**
 * Pessimistic leases on documents, for work that must not be interleaved.
 * A lease expires unless renewed; an expired lease can be taken over, and
 * every acquisition gets a larger fencing token, so a write from a holder
 * that lost its lease (a stale token) is refused by the write's own condition.
 */
import { randomBytes } from 'node:crypto';
import { checkId } from './documents';
import { BadRequestError, LockLostError, NotFoundError } from './errors';
import type { IdempotencyRequest } from './idempotency';
import { ConditionFailedError, type ItemKey, type ItemStore, type LockToken } from './items-model';
import { createLeaseWriter, type LeaseGrant } from './lease-writes';
import { explainLease } from './preconditions';

export const DEFAULT_LEASE_SECONDS = 30;
export const MAX_LEASE_SECONDS = 300;

export interface Grant {
  readonly token: LockToken;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  readonly ttlSeconds: number;
}

/** `Lock-Token` values look like `7:Xq3…`: the fencing token, then the lease id. */
export const formatLockToken = (token: LockToken): string => `${token.fencing}:${token.leaseId}`;

export const parseLockToken = (value: string): LockToken => {
  const match = /^([1-9][0-9]{0,14}):([A-Za-z0-9_-]{16,64})$/.exec(value.trim());
  if (!match?.[1] || !match[2]) throw new BadRequestError('Lock-Token must look like 7:<lease id>');
  return { fencing: Number(match[1]), leaseId: match[2] };
};

const ttlOf = (ttlSeconds: number | undefined): number => {
  const ttl = ttlSeconds ?? DEFAULT_LEASE_SECONDS;
  if (!Number.isSafeInteger(ttl) || ttl < 1 || ttl > MAX_LEASE_SECONDS) {
    throw new BadRequestError(`ttlSeconds must be an integer from 1 to ${MAX_LEASE_SECONDS}`);
  }
  return ttl;
};

/** What a lease call may carry: an Idempotency-Key makes it retry-safe. */
export interface LeaseCallOptions {
  readonly idempotency?: IdempotencyRequest | undefined;
}

export interface LeaseServiceOptions {
  readonly store: ItemStore;
  /** Throws NotFoundError for a collection that is not declared. */
  readonly collection: (name: string) => unknown;
  readonly now?: () => number;
}

export const createLeaseService = ({ store, collection, now = Date.now }: LeaseServiceOptions) => {
  const writer = createLeaseWriter({ store, now });
  const keyOf = (tenant: string, name: string, id: string): ItemKey => {
    collection(name);
    checkId(id);
    return { tenant, collection: name, id };
  };

  /** A refused lease write: gone (404), held by another (409 lock-held) or lost (409 lock-lost). */
  const explain = (error: unknown, token: LockToken | undefined, at: number): unknown => {
    if (!(error instanceof ConditionFailedError)) return error;
    const current = error.current;
    if (!current || current.deleted) return new NotFoundError('no such document');
    return (
      explainLease({ now: at, ...(token ? { token } : {}) }, current) ??
      new LockLostError('the lease this token names has ended', current.fencing ?? 0)
    );
  };

  return {
    /** Takes a lease on a live document that no one else holds. */
    async acquire(
      tenant: string,
      name: string,
      id: string,
      ttlSeconds?: number,
      options: LeaseCallOptions = {},
    ): Promise<LeaseGrant> {
      const key = keyOf(tenant, name, id);
      const ttl = ttlOf(ttlSeconds);
      const at = now();
      try {
        const leaseId = randomBytes(18).toString('base64url');
        const lease = { leaseId, expiresAt: at + ttl * 1000, now: at, ttlSeconds: ttl };
        return await writer.acquire(key, lease, options.idempotency);
      } catch (error) {
        throw explain(error, undefined, at);
      }
    },

    /**
     * Extends the caller's lease while it lasts. Once it expired it is gone
     * (409 lock-lost), even if nobody took another: others may have written
     * in the gap, so the holder must acquire again and get a new fencing token.
     */
    async renew(
      tenant: string,
      name: string,
      id: string,
      token: LockToken,
      ttlSeconds?: number,
      options: LeaseCallOptions = {},
    ): Promise<LeaseGrant> {
      const key = keyOf(tenant, name, id);
      const ttl = ttlOf(ttlSeconds);
      const at = now();
      try {
        return await writer.renew(key, token, at + ttl * 1000, ttl, options.idempotency, at);
      } catch (error) {
        throw explain(error, token, at);
      }
    },

    /** Ends the caller's lease. Releasing a lease that already ended is not an error. */
    async release(
      tenant: string,
      name: string,
      id: string,
      token: LockToken,
      options: LeaseCallOptions = {},
    ): Promise<{ replayed: boolean }> {
      const key = keyOf(tenant, name, id);
      const at = now();
      try {
        return await writer.release(key, token, options.idempotency);
      } catch (error) {
        const refusal = explain(error, token, at);
        const current = error instanceof ConditionFailedError ? error.current : undefined;
        // Nobody took a lease since ours: it is over already, which is what release wants.
        const ended =
          current && !current.deleted && !current.lease && current.fencing === token.fencing;
        if (!ended) throw refusal;
        return { replayed: false };
      }
    },
  };
};

export type LeaseService = ReturnType<typeof createLeaseService>;
