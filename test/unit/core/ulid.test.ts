import { decodeTime, encodeTime as referenceEncodeTime } from 'ulid';
import { describe, expect, it } from 'vitest';
import { encodeTime, ulid } from '../../../functions/core/ulid';

describe('ULIDs', () => {
  it('are 26 characters of Crockford base32 that start with the time', () => {
    const id = ulid(1_700_000_000_123);
    expect(id).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
    expect(decodeTime(id)).toBe(1_700_000_000_123);
  });

  it('encode the time as the reference implementation does', () => {
    for (const ms of [0, 1, 31, 32, 1_469_918_176_385, 2 ** 48 - 1]) {
      expect(ulid(ms).slice(0, 10)).toBe(referenceEncodeTime(ms, 10));
    }
  });

  it('sort by the time they were made', () => {
    const ids = [5, 1_000, 1_700_000_000_000, 2_000_000_000_000].map((ms) => ulid(ms));
    expect([...ids].sort()).toEqual(ids);
  });

  it('differ when made in the same millisecond', () => {
    const ids = new Set(Array.from({ length: 1000 }, () => ulid(42)));
    expect(ids.size).toBe(1000);
  });

  it('clamp a time outside 48 bits instead of failing a range query', () => {
    expect(encodeTime(-5)).toBe('0000000000');
    expect(encodeTime(Number.NaN)).toBe('0000000000');
    expect(encodeTime(2 ** 60)).toBe(encodeTime(2 ** 48 - 1));
    expect(encodeTime(2 ** 48 - 1)).toBe('7ZZZZZZZZZ');
  });
});
