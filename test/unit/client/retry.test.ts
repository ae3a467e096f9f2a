import { describe, expect, it } from 'vitest';
import { backoffDelay, parseRetryAfter } from '../../../client/index';

const policy = { baseDelayMs: 20, maxDelayMs: 1000 };

describe('backoffDelay', () => {
  it('grows the ceiling as base * 2^n until the cap', () => {
    const ceilings = Array.from({ length: 10 }, (_, n) => backoffDelay(n, policy, () => 1));
    expect(ceilings).toEqual([20, 40, 80, 160, 320, 640, 1000, 1000, 1000, 1000]);
  });

  it('uses full jitter: random() scales the whole interval, down to zero', () => {
    expect(backoffDelay(3, policy, () => 0)).toBe(0);
    expect(backoffDelay(3, policy, () => 0.25)).toBe(40);
    expect(backoffDelay(9, policy, () => 0.5)).toBe(500);
  });

  it('stays within [0, min(cap, base * 2^n)] for any random value', () => {
    for (let n = 0; n < 12; n++) {
      const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** n);
      for (let i = 0; i < 50; i++) {
        const delay = backoffDelay(n, policy, Math.random);
        expect(delay).toBeGreaterThanOrEqual(0);
        expect(delay).toBeLessThanOrEqual(ceiling);
      }
    }
  });
});

describe('parseRetryAfter', () => {
  const now = Date.UTC(2030, 0, 1, 12, 0, 0);

  it('reads delay-seconds', () => {
    expect(parseRetryAfter('7', now)).toBe(7000);
    expect(parseRetryAfter(' 0 ', now)).toBe(0);
  });

  it('reads an HTTP-date relative to now', () => {
    expect(parseRetryAfter('Tue, 01 Jan 2030 12:00:09 GMT', now)).toBe(9000);
  });

  it('treats a date in the past as no wait', () => {
    expect(parseRetryAfter('Tue, 01 Jan 2030 11:00:00 GMT', now)).toBe(0);
  });

  it('ignores a missing or unreadable header', () => {
    expect(parseRetryAfter(null, now)).toBeUndefined();
    expect(parseRetryAfter('soon', now)).toBeUndefined();
    expect(parseRetryAfter('-3', now)).toBeUndefined();
  });
});
