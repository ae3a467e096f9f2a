/**
 * ULIDs (https://github.com/ulid/spec): 48 bits of milliseconds and 80
 * random bits in Crockford's base32, 26 characters that sort by creation
 * time. A dozen lines here instead of a package on every cold start.
 */
import { randomBytes } from 'node:crypto';

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ';
const MAX_TIME = 2 ** 48 - 1;

/**
 * The time part of a ULID: `ms` in `length` base32 characters. A time
 * outside what 48 bits hold is clamped, so a lower bound of a range query
 * (`since`) still orders right instead of failing.
 */
export const encodeTime = (ms: number, length = 10): string => {
  let rest = Number.isFinite(ms) ? Math.min(MAX_TIME, Math.max(0, Math.floor(ms))) : 0;
  let text = '';
  for (let i = 0; i < length; i++) {
    text = ALPHABET.charAt(rest % 32) + text;
    rest = Math.floor(rest / 32);
  }
  return text;
};

/** A new ULID for the time `now` (milliseconds; the current time by default). */
export const ulid = (now: number = Date.now()): string => {
  // 256 is a multiple of 32, so the low five bits of a random byte are uniform.
  const bytes = randomBytes(16);
  let random = '';
  for (const byte of bytes) random += ALPHABET.charAt(byte & 31);
  return encodeTime(now, 10) + random;
};
