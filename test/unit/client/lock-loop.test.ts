import { describe, expect, it } from 'vitest';
import { ConflictError } from '../../../client/errors';
import { runWithLock } from '../../../client/lock-loop';
import type { Lease } from '../../../client/types';

const lease: Lease = {
  lockToken: '3:abcdefghijklmnopqrstuvwx',
  fencingToken: 3,
  expiresAt: new Date(0),
  ttlSeconds: 30,
};

const held = (retryAfter = '10') =>
  new ConflictError({
    status: 409,
    code: 'lock-held',
    title: 'Another client holds a lease on the document',
    retryable: true,
    headers: new Headers({ 'retry-after': retryAfter }),
  });

/** Fake steps on a virtual clock: acquisitions fail `busy` times, then succeed. */
const fake = (busy: number, retryAfter = '10') => {
  let clock = 0;
  const calls: string[] = [];
  const waits: number[] = [];
  return {
    calls,
    waits,
    steps: {
      acquire: async () => {
        calls.push('acquire');
        if (busy-- > 0) throw held(retryAfter);
        return lease;
      },
      renew: async () => {
        calls.push('renew');
        return lease;
      },
      release: async (token: string) => {
        calls.push(`release ${token}`);
      },
      wait: async (ms: number) => {
        waits.push(ms);
        clock += ms;
      },
      now: () => clock,
      random: () => 0.5,
    },
  };
};

describe('runWithLock', () => {
  it('polls a held lease with growing jittered waits, then works and releases', async () => {
    const { steps, calls, waits } = fake(3);
    const result = await runWithLock(steps, async (l) => `worked with ${l.fencingToken}`, 30_000);
    expect(result).toBe('worked with 3');
    expect(waits).toEqual([10, 20, 40]);
    expect(calls).toEqual([
      'acquire',
      'acquire',
      'acquire',
      'acquire',
      `release ${lease.lockToken}`,
    ]);
  });

  it('never waits past the Retry-After of the holder', async () => {
    const { steps, waits } = fake(8, '0');
    await runWithLock(steps, async () => undefined, 30_000);
    expect(waits.every((w) => w === 0)).toBe(true);
  });

  it('releases when the work throws, and passes the error on', async () => {
    const { steps, calls } = fake(0);
    const failure = new Error('work failed');
    await expect(
      runWithLock(
        steps,
        async () => {
          throw failure;
        },
        1_000,
      ),
    ).rejects.toBe(failure);
    expect(calls).toEqual(['acquire', `release ${lease.lockToken}`]);
  });

  it('gives up with the lock-held error once waiting would pass waitMs', async () => {
    const { steps, waits } = fake(1_000);
    const error = await runWithLock(steps, async () => 'never', 1_000).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConflictError);
    expect(waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1_000);
  });

  it('does not wait on errors other than lock-held', async () => {
    const { steps, waits } = fake(0);
    const boom = new Error('network');
    steps.acquire = async () => {
      throw boom;
    };
    await expect(runWithLock(steps, async () => 1, 10_000)).rejects.toBe(boom);
    expect(waits).toEqual([]);
  });
});
