/**
 * The lease changes (acquire, renew, release) as plans on the one commit
 * path. Without an Idempotency-Key each is one UpdateItem. With one, the
 * grant is recorded in the same transaction, so the grant must be known
 * before sending: an acquisition is pinned to the fencing token it takes.
 * It first expects a document never leased (token 1); when the refusal
 * shows an earlier token on a free lease, it takes the next one.
 */
import {
  commitOrReplay,
  type IdempotencyRequest,
  type IdempotentResult,
  idempotencyRecordOf,
} from './idempotency';
import { ConditionFailedError, type ItemKey, type ItemStore, type LockToken } from './items-model';
import { checkPlan, type LeaseChange, type PlanPart, PlanRefusedError } from './write-plan';

export interface LeaseGrant {
  readonly token: LockToken;
  /** Epoch milliseconds. */
  readonly expiresAt: number;
  readonly ttlSeconds: number;
  /** True when this is the stored answer to an earlier request with the same Idempotency-Key. */
  readonly replayed?: boolean;
}

/** Attempts of a keyed acquisition whose guessed fencing token was taken already. */
const ACQUIRE_ATTEMPTS = 3;

export const createLeaseWriter = ({ store, now }: { store: ItemStore; now: () => number }) => {
  /** Sends one lease change (and the record of its result); a refused change keeps its record. */
  const send = async (
    key: ItemKey,
    change: LeaseChange,
    idem: IdempotencyRequest | undefined,
    result?: IdempotentResult,
  ) => {
    const parts: PlanPart[] = [{ kind: 'lease', key, change }];
    if (idem && result) {
      const at = now();
      parts.push({
        kind: 'idempotency',
        tenant: key.tenant,
        record: idempotencyRecordOf(key.tenant, idem, result, at),
        now: Math.floor(at / 1000),
      });
    }
    const plan = checkPlan({ parts });
    try {
      return await commitOrReplay(store, plan, idem);
    } catch (error) {
      const refused =
        error instanceof PlanRefusedError ? error.refusalOf(plan, 'lease') : undefined;
      throw refused ? new ConditionFailedError(refused.current) : error;
    }
  };

  const replayedGrant = (result: IdempotentResult): LeaseGrant => {
    if (result.kind !== 'lease') throw new Error('a lease call stored another kind of result');
    return { ...result.grant, replayed: true };
  };

  return {
    /** Takes a lease nobody holds at `change.now`. */
    async acquire(
      key: ItemKey,
      lease: { leaseId: string; expiresAt: number; now: number; ttlSeconds: number },
      idem: IdempotencyRequest | undefined,
    ): Promise<LeaseGrant> {
      const { leaseId, expiresAt, ttlSeconds } = lease;
      const change = { op: 'acquire', leaseId, expiresAt, now: lease.now } as const;
      if (!idem) {
        const committed = await send(key, change, undefined);
        const after = committed.kind === 'written' ? committed.after : undefined;
        if (!after?.lease) throw new Error('the store returned no lease');
        return { token: { fencing: after.lease.fencing, leaseId }, expiresAt, ttlSeconds };
      }
      let fencing = 1;
      for (let attempt = 1; ; attempt++) {
        const grant = { token: { fencing, leaseId }, expiresAt, ttlSeconds };
        try {
          const committed = await send(key, { ...change, fencing }, idem, { kind: 'lease', grant });
          return committed.kind === 'replayed' ? replayedGrant(committed.result) : grant;
        } catch (error) {
          const current = error instanceof ConditionFailedError ? error.current : undefined;
          const free = current && !current.deleted && (current.lease?.expiresAt ?? 0) <= lease.now;
          const next = (current?.fencing ?? 0) + 1;
          // Only the guessed token was wrong: take the one after the stored token.
          if (!free || next === fencing || attempt >= ACQUIRE_ATTEMPTS) throw error;
          fencing = next;
        }
      }
    },

    /**
     * Extends the lease `token` names while it lasts at `now`. An expired
     * lease is gone even when nobody took another: others could write in the
     * gap, so its holder must acquire again and get a new fencing token.
     */
    async renew(
      key: ItemKey,
      token: LockToken,
      expiresAt: number,
      ttlSeconds: number,
      idem: IdempotencyRequest | undefined,
      now: number,
    ): Promise<LeaseGrant> {
      const grant = { token, expiresAt, ttlSeconds };
      const committed = await send(key, { op: 'renew', token, expiresAt, now }, idem, {
        kind: 'lease',
        grant,
      });
      return committed.kind === 'replayed' ? replayedGrant(committed.result) : grant;
    },

    /** Ends the lease `token` names. */
    async release(
      key: ItemKey,
      token: LockToken,
      idem: IdempotencyRequest | undefined,
    ): Promise<{ replayed: boolean }> {
      const committed = await send(key, { op: 'release', token }, idem, { kind: 'released' });
      if (committed.kind === 'replayed' && committed.result.kind !== 'released') {
        throw new Error('a lease release stored another kind of result');
      }
      return { replayed: committed.kind === 'replayed' };
    },
  };
};
