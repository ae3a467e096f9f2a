/**
 * Refused version conflicts, kept so that people and programs can resolve
 * them through the API. One record per refusal, under the tenant, written
 * right after the refusal (which changed nothing); its `status` goes from
 * `open` to `resolved` exactly once, in the same request as the write that
 * resolves it.
 */
import type { ErrorCode } from './errors';
import type { JsonValue } from './items-model';
import type { Clash } from './merge';

export type ConflictStatus = 'open' | 'resolved';
export const CONFLICT_STATUSES: readonly ConflictStatus[] = ['open', 'resolved'];

/**
 * `ours`: apply the refused proposal to the current version. `theirs`: keep
 * the current version. `merged`: write a document the caller supplies.
 */
export type ResolutionStrategy = 'ours' | 'theirs' | 'merged';
export const RESOLUTION_STRATEGIES: readonly ResolutionStrategy[] = ['ours', 'theirs', 'merged'];

/** The refused request, enough to apply it again. */
export interface ConflictProposal {
  readonly method: 'PUT' | 'PATCH' | 'DELETE';
  /** The request's media type; absent for a DELETE. */
  readonly contentType?: string;
  /** The request body; null for a DELETE. */
  readonly body: JsonValue | null;
}

export interface ConflictResolution {
  readonly strategy: ResolutionStrategy;
  /** The API key that resolved it. */
  readonly keyId: string | null;
  /** ISO time. */
  readonly time: string;
  /** The version the document is at after the resolution. */
  readonly version: number;
  /** Hash of the request's Idempotency-Key, to answer its retries; never shown. */
  readonly keyHash?: string;
}

export interface ConflictRecord {
  /** A ULID: conflicts sort by the time they were recorded. */
  readonly id: string;
  readonly collection: string;
  readonly documentId: string;
  readonly status: ConflictStatus;
  /** The refusal: version-mismatch or patch-test-failed. */
  readonly reason: ErrorCode;
  /** The version the refused request named; null when it named none. */
  readonly baseVersion: number | null;
  /** The version the document was at when the request was refused. */
  readonly currentVersion: number | null;
  readonly proposal: ConflictProposal;
  /** The paths that clashed, with their base, theirs and ours values where known. */
  readonly paths: readonly Clash[];
  /** ISO time of the refusal. */
  readonly time: string;
  /** The API key of the refused request. */
  readonly keyId: string | null;
  /** Set when the conflict came from an operation of a transaction: its position. */
  readonly operationIndex?: number;
  /** Epoch seconds after which the record is gone (TTL deletes late; reads skip it). */
  readonly expiresAt: number;
  readonly resolution?: ConflictResolution;
}

export interface ConflictQuery {
  readonly limit: number;
  /** Continue after this conflict id. */
  readonly after?: string;
  readonly collection?: string;
  readonly documentId?: string;
  readonly status?: ConflictStatus;
  /** Only conflicts recorded at or after this epoch millisecond. */
  readonly since?: number;
  /** Epoch seconds: expired records are skipped. */
  readonly now: number;
}

export interface ConflictPage {
  readonly records: readonly ConflictRecord[];
  /** The last conflict id looked at, when more may follow. */
  readonly after?: string;
}

/** The storage port of conflict records. Resolutions go through plans (write-plan.ts). */
export interface ConflictStore {
  /** Puts a new record (never over an existing one). */
  record(tenant: string, record: ConflictRecord): Promise<void>;
  /** Strongly consistent; returns expired records too. */
  get(tenant: string, id: string): Promise<ConflictRecord | undefined>;
  /** A page of the tenant's unexpired conflicts, oldest first. */
  list(tenant: string, query: ConflictQuery): Promise<ConflictPage>;
}
