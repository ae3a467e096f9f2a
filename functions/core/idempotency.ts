/**
 * Idempotency keys (draft-ietf-httpapi-idempotency-key-header): a write sent
 * again with the same key answers with the first result and changes nothing.
 * The result is one more part of the write's plan, so a write is never
 * acknowledged without its record, nor recorded without having happened;
 * and the record's own condition (refused while it exists) is the replay
 * check: a repeat learns the stored answer from the refusal, in the same
 * single request a first execution makes.
 */
import { createHash } from 'node:crypto';
import { IdempotencyKeyReusedError } from './errors';
import type { ItemStore, ItemView, LockToken, StoredItem } from './items-model';
import type { OperationResult } from './transaction-model';
import { PlanRefusedError, type WritePlan } from './write-plan';

/** How long a key is remembered. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/** What the HTTP layer hands over: the client's key and a digest of its request. */
export interface IdempotencyRequest {
  readonly key: string;
  /** Digest of method, path, content type and body: the same key with another request is refused. */
  readonly fingerprint: string;
}

/** What a finished write leaves behind to answer its retries with. */
export type IdempotentResult =
  | { readonly kind: 'document'; readonly item: ItemView; readonly created: boolean }
  | {
      readonly kind: 'lease';
      readonly grant: {
        readonly token: LockToken;
        readonly expiresAt: number;
        readonly ttlSeconds: number;
      };
    }
  | { readonly kind: 'released' }
  | { readonly kind: 'transaction'; readonly results: readonly OperationResult[] };

export interface IdempotencyRecord {
  /** SHA-256 of the client's key: keys are stored without their text. */
  readonly keyHash: string;
  readonly fingerprint: string;
  readonly result: IdempotentResult;
  /** Epoch seconds after which the record no longer counts (and TTL deletes it). */
  readonly expiresAt: number;
}

export const hashIdempotencyKey = (tenant: string, key: string): string =>
  createHash('sha256').update(`${tenant}\n${key}`, 'utf8').digest('hex');

/** The digest of a request, as the HTTP layer computes it. */
export const fingerprintOf = (...parts: readonly string[]): string => {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part, 'utf8').update('\0');
  return hash.digest('hex');
};

/** The record a keyed write adds to its plan. */
export const idempotencyRecordOf = (
  tenant: string,
  request: IdempotencyRequest,
  result: IdempotentResult,
  nowMs: number,
): IdempotencyRecord => ({
  keyHash: hashIdempotencyKey(tenant, request.key),
  fingerprint: request.fingerprint,
  result,
  expiresAt: Math.floor(nowMs / 1000) + IDEMPOTENCY_TTL_SECONDS,
});

/** Whether a stored record still answers for its key at `nowMs` (TTL deletes late). */
export const isLive = (record: IdempotencyRecord, nowMs: number): boolean =>
  record.expiresAt * 1000 > nowMs;

/**
 * The stored answer to replay for `request`, from a record that exists for
 * its key; the same key with another request is refused.
 */
export const replayOf = (
  record: IdempotencyRecord,
  request: IdempotencyRequest,
): IdempotentResult => {
  if (record.fingerprint !== request.fingerprint) {
    throw new IdempotencyKeyReusedError(
      'this Idempotency-Key was used for a different request; use a new key',
    );
  }
  return record.result;
};

/** What a keyed commit did: wrote its plan, or found the answer of an earlier request. */
export type Committed =
  | { readonly kind: 'written'; readonly after?: StoredItem }
  | { readonly kind: 'replayed'; readonly result: IdempotentResult };

/**
 * Commits a plan. When the plan carries an idempotency record and that
 * record was refused, an earlier request with the same key finished first:
 * its stored answer is what this request gets (or 422 for another request
 * under the same key), whatever else the refusal says: a duplicate of a
 * write that already happened fails every other condition too, and must be
 * answered as a replay, never as a conflict with its own write.
 */
export const commitOrReplay = async (
  store: Pick<ItemStore, 'commit'>,
  plan: WritePlan,
  request: IdempotencyRequest | undefined,
): Promise<Committed> => {
  try {
    return { kind: 'written', ...(await store.commit(plan)) };
  } catch (error) {
    const record =
      request && error instanceof PlanRefusedError
        ? error.refusalOf(plan, 'idempotency')?.record
        : undefined;
    if (!request || !record) throw error;
    return { kind: 'replayed', result: replayOf(record, request) };
  }
};
