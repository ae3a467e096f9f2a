/**
 * An in-memory API key store for unit tests. It evaluates the admission
 * conditions itself (exists, not revoked, the GCRA side of the write), so
 * tests of the access rules run against an independent implementation of
 * the DynamoDB conditions.
 */
import {
  type ApiKeyRecord,
  type ApiKeyStore,
  KeyConditionFailedError,
} from '../../functions/core/api-keys';

export interface MemoryApiKeyStore extends ApiKeyStore {
  /** Admission writes made, in order. */
  readonly writes: Array<'idle' | 'busy' | 'claim'>;
  record(hash: string): ApiKeyRecord | undefined;
}

export const createMemoryApiKeyStore = (): MemoryApiKeyStore => {
  const records = new Map<string, ApiKeyRecord>();
  const writes: Array<'idle' | 'busy' | 'claim'> = [];

  const admit = (
    hash: string,
    kind: 'idle' | 'busy' | 'claim',
    holds: (r: ApiKeyRecord) => boolean,
    next: (r: ApiKeyRecord) => Partial<ApiKeyRecord>,
  ): ApiKeyRecord => {
    writes.push(kind);
    const current = records.get(hash);
    if (!current || current.revokedAt || !holds(current))
      throw new KeyConditionFailedError(current);
    const updated = { ...current, ...next(current) };
    records.set(hash, updated);
    return updated;
  };

  return {
    writes,
    record: (hash) => records.get(hash),
    admitIdle: async (hash, now) =>
      admit(
        hash,
        'idle',
        (r) => r.tat <= now,
        (r) => ({ tat: now + r.intervalMs, allowAt: now + r.intervalLessToleranceMs }),
      ),
    admitBusy: async (hash, now) =>
      admit(
        hash,
        'busy',
        (r) => r.tat > now && r.allowAt <= now,
        (r) => ({ tat: r.tat + r.intervalMs, allowAt: r.allowAt + r.intervalMs }),
      ),
    claimBlock: async (hash, claim) => {
      const sameRate = (r: ApiKeyRecord) =>
        r.intervalMs === claim.intervalMs &&
        r.intervalLessToleranceMs === claim.intervalLessToleranceMs;
      return claim.side === 'idle'
        ? admit(
            hash,
            'claim',
            (r) => r.tat <= claim.now && sameRate(r),
            () => ({ tat: claim.now + claim.spanMs, allowAt: claim.allowAt }),
          )
        : admit(
            hash,
            'claim',
            (r) => r.tat > claim.now && r.allowAt <= claim.allowAt && sameRate(r),
            (r) => ({ tat: r.tat + claim.spanMs, allowAt: r.allowAt + claim.spanMs }),
          );
    },
    async create(hash, record) {
      if (records.has(hash)) return false;
      records.set(hash, record);
      return true;
    },
    list: async () => [...records.values()],
    async revoke(keyId, at) {
      for (const [hash, record] of records) {
        if (record.keyId !== keyId) continue;
        records.set(hash, { ...record, revokedAt: record.revokedAt ?? at });
        return true;
      }
      return false;
    },
  };
};
