import { describe, expect, it } from 'vitest';
import { createAccessService } from '../../../functions/core/access';
import { hashApiKey } from '../../../functions/core/api-keys';
import {
  ForbiddenError,
  RateLimitedError,
  UnauthorizedError,
} from '../../../functions/core/errors';
import { createApiKey } from '../../../functions/core/key-admin';
import { createMemoryApiKeyStore } from '../../helpers/memory-api-key-store';

const setup = async (quota = 3, windowSeconds = 60, scopes = ['read', 'write']) => {
  const keys = createMemoryApiKeyStore();
  const { key } = await createApiKey(keys, { tenant: 'acme', scopes, quota, windowSeconds });
  let now = 1_700_000_000_000;
  const access = createAccessService({ keys, now: () => now });
  return {
    keys,
    key,
    access,
    admit: (scope: 'read' | 'write' = 'read') => access.admit(`Bearer ${key}`, scope),
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

  it('starts with the write that matched last time, so the warm path is one write', async () => {
    const { admit, keys, advance } = await setup(5, 60);
    await admit();
    await admit();
    await admit();
    advance(61_000);
    await admit();
    expect(keys.writes).toEqual(['idle', 'busy', 'busy', 'idle']);
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
    const { access, keys, key, admit } = await setup();
    await admit();
    const unknown = await rejection(access.admit('Bearer ck_not-a-key-at-all', 'read'));
    const record = keys.record(hashApiKey(key));
    await keys.revoke(record?.keyId ?? '', '2024-01-01T00:00:00Z');
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
