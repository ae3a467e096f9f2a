/**
 * The two writes an instance makes to a key's record: the first claim, which
 * knows nothing of the key, and block claims computed from what the instance
 * learnt. Both return (or leave in the cache entry) what the record said.
 */
import type { AdmissionSettings } from './access';
import {
  type ApiKeyRecord,
  type ApiKeyStore,
  availableTokens,
  blockClaim,
  KeyConditionFailedError,
} from './api-keys';
import type { UnauthorizedError } from './errors';
import {
  addTokens,
  type CachedKey,
  learn,
  newCachedKey,
  nextBlockSize,
  worthClaiming,
} from './key-cache';

/** Writes one block claim may take when its first guess of the key's side was wrong. */
const CLAIM_ATTEMPTS = 3;

/** The record that says the most: the one with the later `tat`. */
const later = (a: ApiKeyRecord | undefined, b: ApiKeyRecord): ApiKeyRecord =>
  a && a.tat >= b.tat ? a : b;

export interface KeyClaimOptions {
  readonly keys: ApiKeyStore;
  readonly now: () => number;
  readonly random: () => number;
  readonly settings: AdmissionSettings;
  /** Forgets a key that is unknown or revoked; returns the error to answer with. */
  readonly refuse: (hash: string, at: number) => UnauthorizedError;
}

export const createKeyClaims = ({ keys, now, random, settings: s, refuse }: KeyClaimOptions) => {
  /**
   * The first claim of an instance for a key, which knows nothing of it yet:
   * both single-token writes at once, one per side of GCRA's max(tat, now),
   * so one round trip settles it whatever the key's state.
   */
  const claimFirst = async (hash: string): Promise<CachedKey> => {
    const at = now();
    const outcomes = await Promise.allSettled([keys.admitIdle(hash, at), keys.admitBusy(hash, at)]);
    let granted = 0;
    let seen: ApiKeyRecord | undefined;
    let failure: unknown;
    for (const outcome of outcomes) {
      if (outcome.status === 'fulfilled') {
        granted++;
        seen = later(seen, outcome.value);
      } else if (!(outcome.reason instanceof KeyConditionFailedError)) {
        failure ??= outcome.reason;
      } else if (outcome.reason.current) {
        if (outcome.reason.current.revokedAt) throw refuse(hash, at);
        seen = later(seen, outcome.reason.current);
      }
    }
    if (!seen) {
      if (failure) throw failure;
      throw refuse(hash, at);
    }
    const entry = newCachedKey(seen, at);
    addTokens(entry, granted, at, s.freshMs);
    return entry;
  };

  /** A claim from what the instance knows: a block, or less when the record runs short. */
  const claimBlock = async (hash: string, entry: CachedKey): Promise<void> => {
    const size = nextBlockSize(entry, now(), s);
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt++) {
      const at = now();
      const n = Math.min(size, availableTokens(entry.rate, entry.tat, at));
      // Too little to claim: a write is then only worth it to confirm an ageing key.
      if (!worthClaiming(entry, n, at) && at - entry.verifiedAt < s.freshMs / 2) return;
      const claim = blockClaim(entry.rate, entry.tat, at, n);
      try {
        learn(entry, await keys.claimBlock(hash, claim), at);
        addTokens(entry, n, at, s.freshMs);
        entry.contention = Math.max(0, entry.contention - 1);
        // Once short, wait for half a block: a key at its limit is not claimed a token at a time.
        entry.claimFloor = n < size ? Math.ceil(size / 2) : 1;
        return;
      } catch (error) {
        if (!(error instanceof KeyConditionFailedError)) throw error;
        const current = error.current;
        if (!current || current.revokedAt) throw refuse(hash, at);
        learn(entry, current, at);
        // The refusal carried the record: that confirms the key as well as a write.
        if (n === 0) return;
        // Another instance made the key busy since: claim from that side.
        if (claim.side === 'idle' && current.tat > at) continue;
        // Other instances took the tokens first. Instances at a key's limit all see the next
        // tokens come due at once: random, growing waits keep them from all writing for them.
        entry.contention++;
        const span = s.blockSpanMs * 2 ** Math.min(entry.contention - 1, 16);
        entry.claimAfter = at + random() * Math.min(s.freshMs / 2, span);
      }
    }
  };

  return { claimFirst, claimBlock };
};
