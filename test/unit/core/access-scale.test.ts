/**
 * The admission mechanism at 10,000 requests per second for one key, on a
 * simulated clock: many instances share one key record (an in-memory store
 * that evaluates the same conditions as DynamoDB), so the figures are about
 * the algorithm, not about this machine.
 */
import { describe, expect, it } from 'vitest';
import { type AccessService, createAccessService } from '../../../functions/core/access';
import type { ApiKeyStore } from '../../../functions/core/api-keys';
import { createApiKey } from '../../../functions/core/key-admin';
import { createMemoryApiKeyStore } from '../../helpers/memory-api-key-store';

/** Wraps a store to count the writes made to the key record in each simulated second. */
const countingWrites = (store: ApiKeyStore, clock: () => number, start: number) => {
  const perSecond: number[] = [];
  const count = <T>(write: () => Promise<T>) => {
    const second = Math.floor((clock() - start) / 1000);
    perSecond[second] = (perSecond[second] ?? 0) + 1;
    return write();
  };
  const counted: ApiKeyStore = {
    ...store,
    admitIdle: (hash, now) => count(() => store.admitIdle(hash, now)),
    admitBusy: (hash, now) => count(() => store.admitBusy(hash, now)),
    claimBlock: (hash, claim) => count(() => store.claimBlock(hash, claim)),
  };
  return { counted, perSecond };
};

/** A seeded generator (mulberry32), so the instances' random waits are the same every run. */
const seeded = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
};

describe('one API key at 10,000 requests per second', () => {
  it('stays within the quota and within 10% of it, writing the key record about once per instance and second', async () => {
    const start = 1_700_000_000_000;
    let now = start;
    const clock = () => now;
    const memory = createMemoryApiKeyStore();
    // 10,000 requests per second sustained (100,000 per 10 s), bursting up to 100,000.
    const quota = 100_000;
    const windowSeconds = 10;
    const { key } = await createApiKey(memory, {
      tenant: 'big',
      scopes: ['read'],
      quota,
      windowSeconds,
    });
    const { counted, perSecond } = countingWrites(memory, clock, start);
    const instances: AccessService[] = Array.from({ length: 50 }, (_, i) =>
      createAccessService({ keys: counted, now: clock, random: seeded(i + 1) }),
    );

    // Twice what the key may do: 20,000 requests per second, 400 per instance, for 20 s.
    const seconds = 20;
    const perMs = 20;
    let admitted = 0;
    let next = 0;
    /** Admitted so far, at the end of each second. */
    const perSecondAdmitted: number[] = [];
    for (let ms = 0; ms < seconds * 1000; ms++) {
      now = start + ms;
      for (let j = 0; j < perMs; j++) {
        const instance = instances[next++ % instances.length] as AccessService;
        try {
          const admission = await instance.admit(`Bearer ${key}`, 'read');
          await admission.pending;
          admitted++;
        } catch {
          // 429: the key is at its limit.
        }
      }
      if ((ms + 1) % 1000 === 0) {
        perSecondAdmitted.push(admitted);
        // GCRA's allowance so far: the burst plus one token per interval. Never more.
        expect(admitted).toBeLessThanOrEqual(quota + ((ms + 1) * quota) / (windowSeconds * 1000));
      }
    }
    const allowance = quota + seconds * (quota / windowSeconds);
    expect(admitted).toBeLessThanOrEqual(allowance);
    expect(admitted).toBeGreaterThanOrEqual(0.9 * allowance);
    // The record sees a write per block (about a second of one instance's traffic), not per
    // request: about one per instance and second, far below a partition's 1,000 writes/s. The
    // first second holds every instance's first claims, all at once.
    const [first = 0, ...rest] = perSecond.map((n) => n ?? 0);
    expect(first).toBeLessThanOrEqual(400);
    expect(Math.max(...rest)).toBeLessThanOrEqual(150);
    // Until the burst ran low (after 7 s) every request was admitted: no instance was starved.
    expect(perSecondAdmitted[6]).toBe(7 * 20_000);
  });
});
