/**
 * Pure builders of each route's request, kept apart from sending so the exact
 * method, path, headers and body are decided in one readable place.
 */
import { formatEntityTag, newIdempotencyKey } from './representation.js';
import type { RequestSpec } from './transport.js';
import type {
  DeleteOptions,
  EntityTag,
  IdempotentWriteOptions,
  ListOptions,
  LockOptions,
  PatchOptions,
  ReplaceOptions,
  ReplacePrecondition,
  RestoreOptions,
} from './types.js';

export const MERGE_PATCH = 'application/merge-patch+json';
export const JSON_PATCH = 'application/json-patch+json';

export function createSpec(
  collection: string,
  document: object,
  options: IdempotentWriteOptions,
): RequestSpec {
  return {
    method: 'POST',
    path: collectionPath(collection),
    body: document,
    idempotencyKey: keyFor(options),
  };
}

export function getSpec(collection: string, id: string, ifNoneMatch?: EntityTag): RequestSpec {
  const headers: Record<string, string> = {};
  if (ifNoneMatch !== undefined) headers['if-none-match'] = formatEntityTag(ifNoneMatch);
  return { method: 'GET', path: itemPath(collection, id), headers };
}

export function replaceSpec(
  collection: string,
  id: string,
  document: object,
  options: ReplaceOptions,
): RequestSpec {
  const headers = preconditionHeaders(options);
  // No generated key: a keyed write costs the server a read and a transaction
  // instead of one conditional write, and a PUT with If-Match cannot apply
  // twice anyway. A caller-supplied key opts into retries that replay the
  // first answer.
  return {
    method: 'PUT',
    path: itemPath(collection, id),
    headers: withLockToken(headers, options.lockToken),
    body: document,
    idempotencyKey: options.idempotencyKey,
  };
}

export function patchSpec(
  collection: string,
  id: string,
  body: unknown,
  contentType: typeof MERGE_PATCH | typeof JSON_PATCH,
  options: PatchOptions,
): RequestSpec {
  return {
    method: 'PATCH',
    path: itemPath(collection, id),
    headers: withLockToken({ 'if-match': formatEntityTag(options.ifMatch) }, options.lockToken),
    body,
    contentType,
    idempotencyKey: keyFor(options),
  };
}

export function deleteSpec(collection: string, id: string, options: DeleteOptions): RequestSpec {
  return {
    method: 'DELETE',
    path: itemPath(collection, id),
    headers: withLockToken({ 'if-match': formatEntityTag(options.ifMatch) }, options.lockToken),
    idempotencyKey: options.idempotencyKey,
  };
}

export function listSpec(collection: string, options: ListOptions): RequestSpec {
  return {
    method: 'GET',
    path: collectionPath(collection),
    query: { limit: options.limit, cursor: options.cursor },
  };
}

export function listVersionsSpec(
  collection: string,
  id: string,
  options: ListOptions,
): RequestSpec {
  return {
    method: 'GET',
    path: `${itemPath(collection, id)}/versions`,
    query: { limit: options.limit, cursor: options.cursor },
  };
}

export function getVersionSpec(collection: string, id: string, version: number): RequestSpec {
  return { method: 'GET', path: versionPath(collection, id, version) };
}

/**
 * `POST …/versions/{n}/restore`, with the replace's precondition. A POST, so it
 * carries a generated `Idempotency-Key` (costing the server nothing: a restore
 * reads the old version either way), which makes retrying it safe.
 */
export function restoreSpec(
  collection: string,
  id: string,
  version: number,
  options: RestoreOptions,
): RequestSpec {
  const headers = preconditionHeaders(options);
  return {
    method: 'POST',
    path: `${versionPath(collection, id, version)}/restore`,
    headers: withLockToken(headers, options.lockToken),
    idempotencyKey: keyFor(options),
  };
}

/** `POST …/lock`: not retried after an unknown outcome, as a second lease would be refused. */
export function acquireLockSpec(collection: string, id: string, options: LockOptions): RequestSpec {
  return {
    method: 'POST',
    path: `${itemPath(collection, id)}/lock`,
    ...(options.ttlSeconds !== undefined ? { body: { ttlSeconds: options.ttlSeconds } } : {}),
  };
}

export function renewLockSpec(
  collection: string,
  id: string,
  lockToken: string,
  options: LockOptions,
): RequestSpec {
  return {
    method: 'PUT',
    path: `${itemPath(collection, id)}/lock`,
    headers: { 'lock-token': lockToken },
    ...(options.ttlSeconds !== undefined ? { body: { ttlSeconds: options.ttlSeconds } } : {}),
  };
}

export function releaseLockSpec(collection: string, id: string, lockToken: string): RequestSpec {
  return {
    method: 'DELETE',
    path: `${itemPath(collection, id)}/lock`,
    headers: { 'lock-token': lockToken },
  };
}

/** A replace's or restore's precondition: `If-Match`, or create-only `If-None-Match: *`. */
function preconditionHeaders(options: ReplacePrecondition): Record<string, string> {
  return 'ifMatch' in options
    ? { 'if-match': formatEntityTag(options.ifMatch) }
    : { 'if-none-match': '*' };
}

function withLockToken(headers: Record<string, string>, lockToken: string | undefined) {
  return lockToken === undefined ? headers : { ...headers, 'lock-token': lockToken };
}

function keyFor(options: IdempotentWriteOptions): string | undefined {
  // Made once per call, so every retry of this call carries the same key.
  return options.idempotencyKey === false
    ? undefined
    : (options.idempotencyKey ?? newIdempotencyKey());
}

function collectionPath(collection: string): string {
  return `/v1/${encodeURIComponent(collection)}`;
}

function itemPath(collection: string, id: string): string {
  return `${collectionPath(collection)}/${encodeURIComponent(id)}`;
}

function versionPath(collection: string, id: string, version: number): string {
  return `${itemPath(collection, id)}/versions/${encodeURIComponent(String(version))}`;
}
