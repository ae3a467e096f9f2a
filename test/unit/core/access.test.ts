import { describe, expect, it } from 'vitest';
import {
  type AccessService,
  createAccessService,
  DEFAULT_ADMISSION,
} from '../../../functions/core/access';
import { hashApiKey, type Scope } from '../../../functions/core/api-keys';
import {
  ForbiddenError,
  RateLimitedError,
  UnauthorizedError,
} from '../../../functions/core/errors';
import { createApiKey } from '../../../functions/core/key-admin';
import { createMemoryApiKeyStore } from '../../helpers/memory-api-key-store';

const setup = async (quota = 3, windowSeconds = 60, scopes = ['read', 'write']) => {
  const keys = createMemoryApiKeyStore();
  const { key, record } = await createApiKey(keys, {
    tenant: 'acme',
    scopes,
    quota,
    windowSeconds,
  });
  let now = 1_700_000_000_000;
  const clock = () => now;
  const instance = () => createAccessService({ keys, now: clock });
  const access = instance();
  /** Admits as the HTTP middleware does: the request ends when the claim it started ends. */
  const admitOn = async (service: AccessService, scope: Scope = 'read') => {
    const admitted = await service.admit(`Bearer ${key}`, scope);
    await admitted.pending;
    return admitted;
  };
  return {
    keys,
    key,
    keyId: record.keyId,
    access,
    instance,
    admitOn,
    admit: (scope: Scope = 'read') => admitOn(access, scope),
    now: () => now,
    advance: (ms: number) => {
      now += ms;
    },
  };
};

const rejection = async (promise: Promise<unknown>) =>
  promise.then(
    () => undefined,
    (e: unknown) => e,
  );

describe('admission under GCRA', () => {
  it('admits a burst of exactly the quota, counting down remaining', async () => {
    const { admit } = await setup(3, 60);
    const admitted = [await admit(), await admit(), await admit()];
    expect(admitted.map((a) => a.rate.remaining)).toEqual([2, 1, 0]);
    expect(admitted[0]?.principal).toEqual({
      tenant: 'acme',
      keyId: expect.stringMatching(/^[0-9a-f]{16}$/),
      scopes: ['read', 'write'],
    });
    const refused = await rejection(admit());
    expect(refused).toBeInstanceOf(RateLimitedError);
    expect((refused as RateLimitedError).rate).toEqual({
      policy: 'default',
      quota: 3,
      windowSeconds: 60,
      remaining: 0,
      resetSeconds: 20,
    });
  });

  it('admits again exactly when Retry-After says, and not a moment before', async () => {
    const { admit, advance } = await setup(3, 60);
    for (let i = 0; i < 3; i++) await admit();
    advance(19_999);
    expect(await rejection(admit())).toBeInstanceOf(RateLimitedError);
    advance(1);
    expect((await admit()).rate.remaining).toBe(0);
  });

  it('admits a steady stream at the sustained rate forever', async () => {
    const { admit, advance } = await setup(3, 60);
    for (let i = 0; i < 20; i++) {
      await admit();
      advance(20_000);
    }
  });

  it('refills the whole burst after an idle window', async () => {
    const { admit, advance } = await setup(3, 60);
    for (let i = 0; i < 3; i++) await admit();
    advance(60_000);
    expect((await admit()).rate.remaining).toBe(2);
  });

  it('reports when the whole quota is back in RateLimit t', async () => {
    const { admit } = await setup(4, 60);
    await admit();
    expect((await admit()).rate.resetSeconds).toBe(30);
  });
});

describe('authentication', () => {
  it('answers a missing or malformed header as not presented', async () => {
    const { access } = await setup();
    for (const header of [undefined, '', 'Basic abc', 'Bearer', 'Bearer two words']) {
      const error = await rejection(access.admit(header, 'read'));
      expect(error, String(header)).toBeInstanceOf(UnauthorizedError);
      expect((error as UnauthorizedError).presented).toBe(Boolean(header));
    }
  });

  it('answers an unknown and a revoked key alike', async () => {
    const { access, keys, key, admit, advance } = await setup();
    await admit();
    const unknown = await rejection(access.admit('Bearer ck_not-a-key-at-all', 'read'));
    const record = keys.record(hashApiKey(key));
    await keys.revoke(record?.keyId ?? '', '2024-01-01T00:00:00Z');
    advance(DEFAULT_ADMISSION.freshMs);
    const revoked = await rejection(admit());
    expect(unknown).toBeInstanceOf(UnauthorizedError);
    expect(revoked).toBeInstanceOf(UnauthorizedError);
    expect((unknown as Error).message).toBe((revoked as Error).message);
  });

  it('refuses a write with a read-only key', async () => {
    const { admit } = await setup(3, 60, ['read']);
    expect((await admit('read')).principal.scopes).toEqual(['read']);
    expect(await rejection(admit('write'))).toBeInstanceOf(ForbiddenError);
  });
});

describe('admission from blocks of tokens', () => {
  it('learns a key it has never seen in one round trip, whatever the key state', async () => {
    const { admitOn, instance, keys } = await setup(100, 60);
    const first = await admitOn(instance());
    expect(first.roundTrips).toBe(1);
    // Both single-token writes go out at once: one of them holds on either side of max(tat, now).
    expect(keys.writes).toEqual(['idle', 'busy']);
    // Now the key is busy (its tat is ahead of now): a second instance still needs one round trip.
    keys.writes.length = 0;
    expect((await admitOn(instance())).roundTrips).toBe(1);
    expect(keys.writes.slice(0, 2)).toEqual(['idle', 'busy']);
  });

  it('admits steady traffic from its block, writing about once per block', async () => {
    const { admit, advance, keys } = await setup(6_000, 60);
    const roundTrips: number[] = [];
    // 100 requests per second for 3 s; the cap is 5% of the quota = 300 tokens per block.
    for (let i = 0; i < 300; i++) {
      roundTrips.push((await admit()).roundTrips);
      advance(10);
    }
    expect(roundTrips[0]).toBe(1);
    expect(roundTrips.slice(1).every((n) => n === 0)).toBe(true);
    // The first pair, then blocks sized to a second of this traffic (about 100 tokens).
    expect(keys.writes.length).toBeLessThanOrEqual(10);
  });

  it('never sizes a block over 5% of the quota, nor under one token', async () => {
    const { admit, keys, key, now } = await setup(200, 60);
    const hash = hashApiKey(key);
    // A burst far beyond the cap: every claim after the first pair takes at most 10 tokens.
    let before = keys.record(hash)?.tat ?? 0;
    const intervalMs = keys.record(hash)?.intervalMs ?? 0;
    for (let i = 0; i < 100; i++) {
      await admit();
      const tat = keys.record(hash)?.tat ?? 0;
      const claimed = Math.round((tat - Math.max(before, now())) / intervalMs);
      expect(claimed).toBeLessThanOrEqual(10);
      before = tat;
    }
    expect(keys.writes.filter((w) => w === 'claim').length).toBeGreaterThanOrEqual(9);
  });

  it('grants no more than the quota across several instances', async () => {
    const { admitOn, instance, advance } = await setup(50, 60);
    const instances = Array.from({ length: 4 }, () => instance());
    const admitted = async (rounds: number) => {
      let count = 0;
      for (let i = 0; i < rounds; i++) {
        const outcomes = await Promise.allSettled(instances.map((one) => admitOn(one)));
        count += outcomes.filter((o) => o.status === 'fulfilled').length;
      }
      return count;
    };
    // The clock stands still: the whole burst and not one request more, whoever holds the tokens.
    expect(await admitted(40)).toBe(50);
    // One interval (1.2 s) later, the key has earned exactly one more token.
    advance(1_200);
    expect(await admitted(10)).toBe(1);
    advance(12_000);
    expect(await admitted(10)).toBeLessThanOrEqual(10);
  });

  it('stops admitting a revoked key within freshMs, on every instance', async () => {
    const { admitOn, instance, keys, keyId, advance, now } = await setup(1_000, 60);
    const instances = [instance(), instance()];
    for (const one of instances) await admitOn(one);
    const revokedAt = now();
    await keys.revoke(keyId, new Date(revokedAt).toISOString());
    const refusedSince = instances.map(() => Number.POSITIVE_INFINITY);
    for (let step = 0; step <= 20; step++) {
      for (const [i, one] of instances.entries()) {
        const outcome = await rejection(admitOn(one));
        if (outcome instanceof UnauthorizedError) {
          refusedSince[i] = Math.min(refusedSince[i] ?? Number.POSITIVE_INFINITY, now());
        } else {
          // Once refused, never admitted again.
          expect(now()).toBeLessThan(refusedSince[i] ?? 0);
        }
      }
      advance(500);
    }
    for (const since of refusedSince) {
      expect(since - revokedAt).toBeLessThanOrEqual(DEFAULT_ADMISSION.freshMs);
    }
  });

  it('refuses an unknown key from memory, asking the table once per refusedMs', async () => {
    const { access, keys, advance } = await setup();
    for (let i = 0; i < 100; i++) {
      expect(
        await rejection(access.admit('Bearer ck_no-such-key-anywhere', 'read')),
      ).toBeInstanceOf(UnauthorizedError);
    }
    expect(keys.writes).toEqual(['idle', 'busy']);
    advance(DEFAULT_ADMISSION.refusedMs);
    await rejection(access.admit('Bearer ck_no-such-key-anywhere', 'read'));
    expect(keys.writes).toHaveLength(4);
  });

  it('answers 429 from memory until the next token is due, then claims it', async () => {
    const { admit, keys, advance } = await setup(3, 60);
    for (let i = 0; i < 3; i++) await admit();
    const writes = keys.writes.length;
    for (let i = 0; i < 50; i++) {
      const refused = await rejection(admit());
      expect(refused).toBeInstanceOf(RateLimitedError);
      expect((refused as RateLimitedError).rate.resetSeconds).toBe(20);
    }
    expect(keys.writes).toHaveLength(writes);
    advance(20_000);
    expect((await admit()).rate.remaining).toBe(0);
    expect(keys.writes.length).toBeGreaterThan(writes);
  });

  it('spends neither a token nor a write on a 403 once the key is known', async () => {
    const { admit, keys } = await setup(3, 60, ['read']);
    await admit('read');
    const writes = keys.writes.length;
    for (let i = 0; i < 10; i++)
      expect(await rejection(admit('write'))).toBeInstanceOf(ForbiddenError);
    expect(keys.writes).toHaveLength(writes);
    expect((await admit('read')).rate.remaining).toBe(1);
  });
});
