/**
 * The conflict inbox as the client sees it: typed conflict records, the
 * merge or overwrite report of a write a conflict policy took, and the
 * request builders of the conflict routes.
 */
import { InvalidResponseError } from './errors.js';
import { formatEntityTag, newIdempotencyKey } from './representation.js';
import type { RawResponse, RequestSpec } from './transport.js';
import type { CallOptions, EntityTag, JsonValue } from './types.js';

/** A path both sides changed since the version a write named, with each side's value. */
export interface Clash {
  /** JSON Pointer. */
  readonly path: string;
  /** Absent where the field did not exist. */
  readonly base?: JsonValue;
  readonly theirs?: JsonValue;
  readonly ours?: JsonValue;
}

/** Where the conflict recorded for a 409 lives. */
export interface ConflictLink {
  readonly id: string;
  /** A path below the API's base URL, e.g. `/v1/conflicts/01J…`. */
  readonly url: string;
}

/** What the collection's conflict policy did with a stale write that succeeded. */
export interface WriteOutcome {
  /** `merged` (three-way, `merge` policy) or `overwrote` (`last-writer-wins`). */
  readonly outcome: 'merged' | 'overwrote';
  /** The version the write named. */
  readonly base: number;
  /** The version it was merged with or written over. */
  readonly current: number;
  /** The field rules that settled clashes (merges only). */
  readonly rules: readonly { readonly path: string; readonly rule: string }[];
}

export type ResolutionStrategy = 'ours' | 'theirs' | 'merged';

export interface ConflictRecord {
  readonly id: string;
  readonly collection: string;
  readonly documentId: string;
  readonly status: 'open' | 'resolved';
  /** `version-mismatch` or `patch-test-failed`. */
  readonly reason: string;
  readonly baseVersion: number | null;
  readonly currentVersion: number | null;
  readonly proposal: {
    readonly method: 'PUT' | 'PATCH' | 'DELETE';
    readonly contentType?: string;
    readonly body: JsonValue;
  };
  readonly paths: readonly Clash[];
  readonly time: string;
  readonly keyId: string | null;
  /** Set for an operation of a transaction: its position. */
  readonly operationIndex?: number;
  readonly expiresAt: string;
  readonly resolution: {
    readonly strategy: ResolutionStrategy;
    readonly keyId: string | null;
    readonly time: string;
    readonly version: number;
  } | null;
}

export interface ConflictPage {
  readonly items: ConflictRecord[];
  /** Pass as `cursor` for the next page; undefined on the last one. */
  readonly nextCursor: string | undefined;
}

export interface ListConflictsOptions extends CallOptions {
  limit?: number;
  cursor?: string;
  collection?: string;
  documentId?: string;
  status?: 'open' | 'resolved';
  /** Only conflicts recorded at or after this time. */
  since?: Date | string;
}

export interface ResolveConflictOptions extends CallOptions {
  /** The document to write; required with `merged`, refused otherwise. */
  document?: object;
  /** The document version to resolve against; default: the one recorded with the conflict. */
  ifMatch?: EntityTag;
  /** Sent by default, so a retry after a lost answer replays the first one; `false` for none. */
  idempotencyKey?: string | false;
}

/** Reads `Concord-Write-Outcome` and `Concord-Merge-Rules`; undefined when absent. */
export function readWriteOutcome(headers: Headers): WriteOutcome | undefined {
  const raw = headers.get('concord-write-outcome');
  const match = raw?.match(/^(merged|overwrote);base=(\d+);current=(\d+)$/);
  if (!match) return undefined;
  const rules = [
    ...(headers.get('concord-merge-rules') ?? '').matchAll(/("(?:[^"\\]|\\.)*");rule=([a-z-]+)/g),
  ].map((m) => ({ path: JSON.parse(m[1] ?? '""') as string, rule: m[2] ?? '' }));
  return {
    outcome: match[1] as WriteOutcome['outcome'],
    base: Number(match[2]),
    current: Number(match[3]),
    rules,
  };
}

/** A problem body's `conflict` member, when the server recorded the refusal. */
export function readConflictLink(raw: unknown): ConflictLink | undefined {
  if (typeof raw !== 'object' || raw === null) return undefined;
  const { id, url } = raw as Record<string, unknown>;
  return typeof id === 'string' && typeof url === 'string' ? { id, url } : undefined;
}

/** A problem body's `clashes` member. */
export function readClashes(raw: unknown): Clash[] {
  if (!Array.isArray(raw)) return [];
  return raw.filter(
    (c): c is Clash => typeof c === 'object' && c !== null && typeof (c as Clash).path === 'string',
  );
}

const conflictPath = (id: string) => `/v1/conflicts/${encodeURIComponent(id)}`;

export function listConflictsSpec(options: ListConflictsOptions): RequestSpec {
  const since = options.since instanceof Date ? options.since.toISOString() : options.since;
  return {
    method: 'GET',
    path: '/v1/conflicts',
    query: {
      limit: options.limit,
      cursor: options.cursor,
      collection: options.collection,
      documentId: options.documentId,
      status: options.status,
      since,
    },
  };
}

export function getConflictSpec(id: string): RequestSpec {
  return { method: 'GET', path: conflictPath(id) };
}

export function resolveConflictSpec(
  id: string,
  strategy: ResolutionStrategy,
  options: ResolveConflictOptions,
): RequestSpec {
  return {
    method: 'POST',
    path: `${conflictPath(id)}/resolution`,
    headers: options.ifMatch !== undefined ? { 'if-match': formatEntityTag(options.ifMatch) } : {},
    body: { strategy, ...(options.document !== undefined ? { document: options.document } : {}) },
    idempotencyKey:
      options.idempotencyKey === false
        ? undefined
        : (options.idempotencyKey ?? newIdempotencyKey()),
  };
}

export function toConflict(raw: RawResponse): ConflictRecord {
  const body = raw.body as Partial<ConflictRecord> | undefined;
  if (typeof body?.id !== 'string' || typeof body.status !== 'string') {
    throw new InvalidResponseError({
      status: raw.status,
      code: 'invalid-response',
      title: 'Expected a conflict record',
      retryable: false,
    });
  }
  return body as ConflictRecord;
}

export function toConflictPage(raw: RawResponse): ConflictPage {
  const body = raw.body as { items?: unknown; nextCursor?: unknown } | undefined;
  if (!Array.isArray(body?.items)) {
    throw new InvalidResponseError({
      status: raw.status,
      code: 'invalid-response',
      title: 'Expected a page of conflicts',
      retryable: false,
    });
  }
  return {
    items: body.items.map((item) => toConflict({ ...raw, body: item })),
    nextCursor: typeof body.nextCursor === 'string' ? body.nextCursor : undefined,
  };
}
