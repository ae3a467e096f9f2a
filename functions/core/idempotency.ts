/**
 * Idempotency keys (draft-ietf-httpapi-idempotency-key-header): a write sent
 * again with the same key answers with the first result and changes nothing.
 * The result is stored in the same transaction as the write it describes, so
 * a write is never acknowledged without its record, nor recorded without
 * having happened.
 */
import { createHash } from 'node:crypto';
import type { ItemView } from './items-model';

/** How long a key is remembered. */
export const IDEMPOTENCY_TTL_SECONDS = 24 * 60 * 60;

/** What the HTTP layer hands over: the client's key and a digest of its request. */
export interface IdempotencyRequest {
  readonly key: string;
  /** Digest of method, path, content type and body: the same key with another request is refused. */
  readonly fingerprint: string;
}

/** What a finished write leaves behind to answer its retries with. */
export interface IdempotentResult {
  readonly item: ItemView;
  readonly created: boolean;
}

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

/**
 * Thrown by a store when the idempotency record of a transactional write
 * already exists: another request with the same key finished first.
 */
export class IdempotencyRecordExistsError extends Error {
  constructor() {
    super('idempotency record exists');
    this.name = 'IdempotencyRecordExistsError';
  }
}
