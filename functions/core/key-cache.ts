/**
 * What one instance remembers about an API key between requests: who the key
 * is, when the table last confirmed it, the `tat` it last saw, and the blocks
 * of rate-limit tokens it has claimed and not yet spent. Pure bookkeeping: the
 * clock is passed in and nothing here talks to the table.
 */
import {
  type ApiKeyRecord,
  availableTokens,
  type KeyRate,
  nextTokenAt,
  type Principal,
} from './api-keys';

/** Tokens claimed by one write, spendable until `expiresAt`. */
interface Block {
  left: number;
  readonly expiresAt: number;
}

export interface CachedKey {
  principal: Principal;
  rate: KeyRate;
  /** The record's `tat` as last seen; the real one is never smaller. */
  tat: number;
  /** When the write that last found the key usable was sent. */
  verifiedAt: number;
  /** Claimed tokens, oldest first. */
  readonly blocks: Block[];
  /** The claim in flight, which every request that needs one joins. */
  claiming: Promise<void> | undefined;
  /** Requests waiting for that claim. */
  waiting: number;
  /** Requests seen since `arrivalsSince`, to size the next block. */
  arrivals: number;
  arrivalsSince: number;
  /** Smoothed request rate of this instance for this key, per millisecond. */
  ratePerMs: number;
  /** A claim starts, alongside the request, when no more than this many tokens are left. */
  lowWater: number;
  /** The fewest tokens worth a write: 1, but half a block once the record ran short. */
  claimFloor: number;
  /** No claim for fresh tokens before this: the record is short, or contended. */
  claimAfter: number;
  /** Claims in a row that lost to another instance's. */
  contention: number;
}

export interface BlockSizing {
  /** Claim about this long of the instance's own traffic at once. */
  readonly blockSpanMs: number;
  /** The largest block, as a share of the key's quota (at least one token). */
  readonly maxBlockShare: number;
}

/** Below this, a burst of arrivals says little about a rate. */
const MIN_SAMPLE_MS = 50;

const principalOf = (record: ApiKeyRecord): Principal => ({
  tenant: record.tenant,
  keyId: record.keyId,
  scopes: record.scopes,
});

const rateOf = (record: ApiKeyRecord): KeyRate => ({
  quota: record.quota,
  windowSeconds: record.windowSeconds,
  intervalMs: record.intervalMs,
  intervalLessToleranceMs: record.intervalLessToleranceMs,
});

export const newCachedKey = (record: ApiKeyRecord, at: number): CachedKey => ({
  principal: principalOf(record),
  rate: rateOf(record),
  tat: record.tat,
  verifiedAt: at,
  blocks: [],
  claiming: undefined,
  waiting: 0,
  arrivals: 0,
  arrivalsSince: at,
  ratePerMs: 0,
  lowWater: 0,
  claimFloor: 1,
  claimAfter: 0,
  contention: 0,
});

/** Takes in what a write (sent at `at`) returned about a usable key. */
export const learn = (entry: CachedKey, record: ApiKeyRecord, at: number): void => {
  entry.principal = principalOf(record);
  entry.rate = rateOf(record);
  entry.tat = Math.max(entry.tat, record.tat);
  entry.verifiedAt = Math.max(entry.verifiedAt, at);
};

/** Adds `n` tokens claimed by a write sent at `at`; they are spendable for `lifetimeMs`. */
export const addTokens = (entry: CachedKey, n: number, at: number, lifetimeMs: number): void => {
  if (n > 0) entry.blocks.push({ left: n, expiresAt: at + lifetimeMs });
};

const dropExpired = (entry: CachedKey, at: number): void => {
  while (entry.blocks.length > 0 && (entry.blocks[0]?.expiresAt ?? 0) <= at) entry.blocks.shift();
};

export const tokensLeft = (entry: CachedKey, at: number): number => {
  dropExpired(entry, at);
  return entry.blocks.reduce((sum, block) => sum + block.left, 0);
};

/** Spends one claimed token, the oldest first; false when none is left. */
export const takeToken = (entry: CachedKey, at: number): boolean => {
  dropExpired(entry, at);
  const block = entry.blocks.find((b) => b.left > 0);
  if (!block) return false;
  block.left--;
  if (block.left === 0) entry.blocks.splice(entry.blocks.indexOf(block), 1);
  return true;
};

/**
 * How many tokens the next claim asks for: the instance's own traffic over
 * `blockSpanMs` (and at least the requests waiting now), at most the
 * key's cap. Restarts the count of arrivals.
 */
export const nextBlockSize = (entry: CachedKey, at: number, sizing: BlockSizing): number => {
  const sample = entry.arrivals / Math.max(at - entry.arrivalsSince, MIN_SAMPLE_MS);
  entry.ratePerMs = entry.ratePerMs === 0 ? sample : (entry.ratePerMs + sample) / 2;
  entry.arrivals = 0;
  entry.arrivalsSince = at;
  const cap = Math.max(1, Math.floor(entry.rate.quota * sizing.maxBlockShare));
  const wanted = Math.max(1, entry.waiting, Math.ceil(entry.ratePerMs * sizing.blockSpanMs));
  const size = Math.min(cap, wanted);
  entry.lowWater = Math.floor(size / 2);
  return size;
};

/** Whether `n` tokens the record could grant now are worth a write. */
export const worthClaiming = (entry: CachedKey, n: number, at: number): boolean =>
  n >= entry.claimFloor && at >= entry.claimAfter;

/** Time until the record can grant the fewest tokens worth a claim. */
export const waitForFloorMs = (entry: CachedKey, at: number): number =>
  nextTokenAt(entry.rate, entry.tat) + (entry.claimFloor - 1) * entry.rate.intervalMs - at;

/** Requests that could be made now: tokens in hand plus what the record can still grant. */
export const remainingAt = (entry: CachedKey, at: number): number =>
  Math.min(entry.rate.quota, tokensLeft(entry, at) + availableTokens(entry.rate, entry.tat, at));
