/**
 * Writes that carry an Idempotency-Key. The item write and the record of its
 * result go in one transaction; the write is pinned to the version its result
 * was computed from, so the stored answer is exactly what was written.
 */
import { IdempotencyInFlightError, IdempotencyKeyReusedError } from './errors';
import {
  hashIdempotencyKey,
  IDEMPOTENCY_TTL_SECONDS,
  IdempotencyRecordExistsError,
  type IdempotencyRequest,
} from './idempotency';
import {
  ConditionFailedError,
  type ItemKey,
  type ItemStore,
  type ItemView,
  type JsonObject,
  type StoredItem,
  viewOf,
  type WriteCondition,
} from './items-model';
import { explainCondition, type Preconditions } from './preconditions';

export interface IdempotentWriteResult {
  readonly item: ItemView;
  readonly created: boolean;
  /** True when this is the stored answer of an earlier request with the same key. */
  readonly replayed: boolean;
}

/** Tries when other writers keep moving the document between our read and our write. */
const ATTEMPTS = 4;

export const createIdempotentWriter = (store: ItemStore, now: () => Date = () => new Date()) => {
  /** The stored answer for this key, or undefined when the key is new. */
  const replay = async (
    tenant: string,
    request: IdempotencyRequest,
  ): Promise<IdempotentWriteResult | undefined> => {
    const record = await store.readIdempotency(tenant, hashIdempotencyKey(tenant, request.key));
    if (!record) return undefined;
    if (record.fingerprint !== request.fingerprint) {
      throw new IdempotencyKeyReusedError(
        'this Idempotency-Key was used for a different request; use a new key',
      );
    }
    return { ...record.result, replayed: true };
  };

  /**
   * Writes `body` under `condition` and records the result under the key.
   * `current` is the item the caller already read, if it did; `replayChecked`
   * says the caller has just looked for an earlier answer.
   */
  const write = async (
    key: ItemKey,
    body: JsonObject | null,
    condition: WriteCondition,
    p: Preconditions,
    request: IdempotencyRequest,
    options: { current?: StoredItem; replayChecked?: boolean } = {},
  ): Promise<IdempotentWriteResult> => {
    let known = options.current;
    for (let attempt = 0; attempt < ATTEMPTS; attempt++) {
      const earlier =
        attempt === 0 && options.replayChecked ? undefined : await replay(key.tenant, request);
      if (earlier) return earlier;
      const base = known ?? (await store.get(key));
      const failure = explainCondition(condition, base, p);
      if (failure) throw failure;
      const at = now();
      const written: StoredItem = {
        id: key.id,
        version: (base?.version ?? 0) + 1,
        deleted: body === null,
        body: body ?? {},
        updatedAt: at.toISOString(),
      };
      const result = { item: viewOf(written), created: !base || base.deleted };
      try {
        await store.writeIdempotently(
          key,
          body,
          { ...condition, expectedVersion: base ? base.version : null },
          {
            keyHash: hashIdempotencyKey(key.tenant, request.key),
            fingerprint: request.fingerprint,
            result,
            expiresAt: Math.floor(at.getTime() / 1000) + IDEMPOTENCY_TTL_SECONDS,
          },
        );
        return { ...result, replayed: false };
      } catch (error) {
        if (error instanceof ConditionFailedError) {
          const refused = explainCondition(condition, error.current, p);
          if (refused) throw refused;
          known = undefined; // Only the pin failed: someone wrote in between. Start again.
        } else if (!(error instanceof IdempotencyRecordExistsError)) {
          throw error;
        }
      }
    }
    throw new IdempotencyInFlightError('the document kept changing; retry with the same key');
  };

  return { replay, write };
};
