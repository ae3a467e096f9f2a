import { describe, expect, it } from 'vitest';
import {
  availableTokens,
  blockClaim,
  nextTokenAt,
  rateParameters,
} from '../../../functions/core/api-keys';

// 5 per 10 s: interval 2 s, tolerance 8 s, so a full bucket holds 5 tokens.
const rate = { quota: 5, ...rateParameters(5, 10) };
const now = 1_000_000;

describe('GCRA arithmetic of a key', () => {
  it('has the whole quota when tat is behind now', () => {
    expect(availableTokens(rate, 0, now)).toBe(5);
    expect(availableTokens(rate, now, now)).toBe(5);
  });

  it('has one token less for every interval tat runs ahead of now', () => {
    expect(availableTokens(rate, now + 2_000, now)).toBe(4);
    expect(availableTokens(rate, now + 3_999, now)).toBe(3);
    expect(availableTokens(rate, now + 10_000, now)).toBe(0);
    expect(nextTokenAt(rate, now + 10_000)).toBe(now + 2_000);
  });

  it('keeps whole tokens whole when the interval is not a binary fraction', () => {
    const odd = { quota: 7, ...rateParameters(7, 60) };
    expect(availableTokens(odd, 0, now)).toBe(7);
    const tat = now + 7 * odd.intervalMs;
    expect(availableTokens(odd, tat, now)).toBe(0);
    expect(availableTokens(odd, tat, now + odd.intervalMs)).toBe(1);
  });

  it('claims from the side of max(tat, now) it saw, moving tat by n intervals', () => {
    const idle = blockClaim(rate, now - 1, now, 3);
    expect(idle).toMatchObject({ side: 'idle', spanMs: 6_000, allowAt: now + 6_000 - 8_000 });
    const busy = blockClaim(rate, now + 1, now, 3);
    expect(busy).toMatchObject({ side: 'busy', spanMs: 6_000, allowAt: now - 4_000 });
  });
});
