/**
 * Lease calls on the commit path, against the in-memory store: one commit
 * each, and with an Idempotency-Key the grant recorded in the same commit.
 */
import { describe, expect, it } from 'vitest';
import { LockHeldError } from '../../../functions/core/errors';
import type { IdempotencyRequest } from '../../../functions/core/idempotency';
import { createLeaseService } from '../../../functions/core/leases';
import { createMemoryItemStore } from '../../helpers/memory-item-store';

const T = 'tenant-a';
const NOW = 1_700_000_000_000;
const key = (id: string) => ({ tenant: T, collection: 'notes', id });
const keyed = (name: string): { idempotency: IdempotencyRequest } => ({
  idempotency: { key: name, fingerprint: `fp-${name}` },
});

const setup = () => {
  const store = createMemoryItemStore();
  let now = NOW;
  const leases = createLeaseService({ store, collection: () => undefined, now: () => now });
  return { store, leases, advance: (ms: number) => (now += ms) };
};

describe('lease calls on the commit path', () => {
  it('acquires with one commit that counts the fencing token on from the stored one', async () => {
    const { store, leases } = setup();
    store.seed(key('a'), {});
    const first = await leases.acquire(T, 'notes', 'a', 10);
    await leases.release(T, 'notes', 'a', first.token);
    const second = await leases.acquire(T, 'notes', 'a', 10);
    expect([first.token.fencing, second.token.fencing]).toEqual([1, 2]);
    expect(store.commits()).toBe(3);
  });

  it('records a keyed grant with the acquisition, and answers a retry with the same grant', async () => {
    const { store, leases } = setup();
    store.seed(key('a'), {});
    const grant = await leases.acquire(T, 'notes', 'a', 10, keyed('k1'));
    expect(store.commits()).toBe(1);
    const again = await leases.acquire(T, 'notes', 'a', 10, keyed('k1'));
    expect(again).toEqual({ ...grant, replayed: true });
    expect((await store.get(key('a')))?.lease?.leaseId).toBe(grant.token.leaseId);
  });

  it('takes the token after the stored one when a keyed guess of a first lease was wrong', async () => {
    const { store, leases } = setup();
    store.seed(key('a'), {});
    const earlier = await leases.acquire(T, 'notes', 'a', 10);
    await leases.release(T, 'notes', 'a', earlier.token);
    const commits = store.commits();
    const grant = await leases.acquire(T, 'notes', 'a', 10, keyed('k2'));
    expect(grant.token.fencing).toBe(2);
    expect(store.commits() - commits).toBe(2);
  });

  it('refuses a keyed acquisition of a held lease as lock-held, not as a replay', async () => {
    const { store, leases } = setup();
    store.seed(key('a'), {});
    await leases.acquire(T, 'notes', 'a', 10);
    await expect(leases.acquire(T, 'notes', 'a', 10, keyed('k3'))).rejects.toBeInstanceOf(
      LockHeldError,
    );
  });

  it('replays keyed renewals and releases', async () => {
    const { store, leases, advance } = setup();
    store.seed(key('a'), {});
    const { token } = await leases.acquire(T, 'notes', 'a', 10);
    const renewed = await leases.renew(T, 'notes', 'a', token, 20, keyed('k4'));
    advance(1_000);
    expect(await leases.renew(T, 'notes', 'a', token, 20, keyed('k4'))).toEqual({
      ...renewed,
      replayed: true,
    });
    expect(await leases.release(T, 'notes', 'a', token, keyed('k5'))).toEqual({ replayed: false });
    expect(await leases.release(T, 'notes', 'a', token, keyed('k5'))).toEqual({ replayed: true });
  });
});
