/**
 * Reading the server's representations into typed results, and the small
 * header values the client writes (entity tags, idempotency keys).
 */
import { readWriteOutcome, type WriteOutcome } from './conflicts.js';
import { InvalidResponseError } from './errors.js';
import type { RawResponse } from './transport.js';
import type {
  EntityTag,
  JsonObject,
  Lease,
  Page,
  VersionEntry,
  VersionedDocument,
  VersionPage,
  WriteResult,
} from './types.js';

/** Quotes a bare tag or version so `ifMatch: 7` and `ifMatch: '7'` both mean `"7"`. */
export function formatEntityTag(tag: EntityTag): string {
  if (typeof tag === 'number') return `"${tag}"`;
  if (tag === '*' || tag.startsWith('"') || tag.startsWith('W/')) return tag;
  return `"${tag}"`;
}

/** Reads a `{ …fields, id, version }` body; the ETag header wins over one derived from `version`. */
export function toVersioned<T extends object = JsonObject>(
  body: unknown,
  status: number,
  etag?: string | null,
): VersionedDocument<T> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    throw invalid(status, 'Expected a JSON object document');
  }
  const document = body as VersionedDocument<T>['document'];
  if (typeof document.id !== 'string' || typeof document.version !== 'number') {
    throw invalid(status, 'The document lacks a string `id` or a numeric `version`');
  }
  return {
    id: document.id,
    version: document.version,
    etag: etag ?? `"${document.version}"`,
    document,
  };
}

export function toWriteResult<T extends object = JsonObject>(raw: RawResponse): WriteResult<T> {
  return {
    ...toVersioned<T>(raw.body, raw.status, raw.headers.get('etag')),
    status: raw.status,
    created: raw.status === 201,
    location: raw.headers.get('location') ?? undefined,
    replayed: raw.headers.get('idempotent-replayed') === 'true',
    ...withOutcome(readWriteOutcome(raw.headers)),
  };
}

const withOutcome = (outcome: WriteOutcome | undefined) => (outcome ? { outcome } : {});

export function toLease(raw: RawResponse): Lease {
  const body = raw.body as Partial<Record<keyof Lease, unknown>> | undefined;
  if (
    typeof body?.lockToken !== 'string' ||
    typeof body.fencingToken !== 'number' ||
    typeof body.expiresAt !== 'string' ||
    typeof body.ttlSeconds !== 'number'
  ) {
    throw invalid(
      raw.status,
      'Expected a lease with lockToken, fencingToken, expiresAt, ttlSeconds',
    );
  }
  return {
    lockToken: body.lockToken,
    fencingToken: body.fencingToken,
    expiresAt: new Date(body.expiresAt),
    ttlSeconds: body.ttlSeconds,
  };
}

export function toPage<T extends object = JsonObject>(raw: RawResponse): Page<T> {
  const body = raw.body as { items?: unknown; nextCursor?: unknown } | undefined;
  if (!Array.isArray(body?.items)) throw invalid(raw.status, 'Expected a list with `items`');
  const nextCursor = typeof body.nextCursor === 'string' ? body.nextCursor : null;
  return { items: body.items.map((item) => toVersioned<T>(item, raw.status)), nextCursor };
}

export function toVersionPage(raw: RawResponse): VersionPage {
  const body = raw.body as { items?: unknown; nextCursor?: unknown } | undefined;
  if (!Array.isArray(body?.items) || !body.items.every(isVersionEntry)) {
    throw invalid(raw.status, 'Expected a page of versions with `items`');
  }
  const nextCursor = typeof body.nextCursor === 'string' ? body.nextCursor : null;
  return { items: body.items, nextCursor };
}

function isVersionEntry(value: unknown): value is VersionEntry {
  const entry = value as Partial<Record<keyof VersionEntry, unknown>> | null;
  return (
    typeof entry?.version === 'number' &&
    typeof entry.etag === 'string' &&
    typeof entry.operation === 'string' &&
    typeof entry.time === 'string' &&
    (typeof entry.keyId === 'string' || entry.keyId === null) &&
    typeof entry.deleted === 'boolean'
  );
}

/**
 * A fresh `Idempotency-Key`. `crypto.randomUUID` exists only in secure browser
 * contexts, so plain-HTTP pages fall back to `getRandomValues`.
 */
export function newIdempotencyKey(): string {
  const cryptoApi = globalThis.crypto;
  if (typeof cryptoApi.randomUUID === 'function') return cryptoApi.randomUUID();
  const bytes = cryptoApi.getRandomValues(new Uint8Array(16));
  bytes[6] = ((bytes[6] ?? 0) & 0x0f) | 0x40;
  bytes[8] = ((bytes[8] ?? 0) & 0x3f) | 0x80;
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

function invalid(status: number, title: string): InvalidResponseError {
  return new InvalidResponseError({ status, code: 'invalid-response', title, retryable: false });
}
