/**
 * RFC 9110 conditional requests over integer versions. The HTTP layer parses
 * the header syntax; this module decides what the tags mean for a version
 * and turns them into a storage condition, so the database evaluates them
 * atomically with the write.
 */
import {
  AlreadyExistsError,
  BadRequestError,
  type DomainError,
  LockHeldError,
  LockLostError,
  NotFoundError,
  type PreconditionSource,
  retryAfterSeconds,
  VersionMismatchError,
} from './errors';
import { type StoredItem, viewOf, type WriteCondition } from './items-model';

export interface EntityTag {
  readonly weak: boolean;
  /** The tag without quotes or `W/`. */
  readonly opaque: string;
}

/** `*` or a list of entity tags, as an `If-Match` / `If-None-Match` header carries. */
export type TagSet = '*' | readonly EntityTag[];

export interface Preconditions {
  readonly ifMatch?: TagSet;
  readonly ifNoneMatch?: TagSet;
  /** A `version` inside the request body: an If-Match that is not an HTTP header. */
  readonly bodyVersion?: number;
  /** `If-Unmodified-Since` as epoch milliseconds (whole seconds); invalid dates never get here. */
  readonly ifUnmodifiedSince?: number;
  /** `If-Modified-Since` as epoch milliseconds (whole seconds), for reads. */
  readonly ifModifiedSince?: number;
}

/** A version that no item ever has: stands for tags that cannot match. */
const NO_VERSION = -1;

const versionOfTag = (tag: EntityTag): number | undefined =>
  /^(0|[1-9][0-9]{0,14})$/.test(tag.opaque) ? Number(tag.opaque) : undefined;

/** Versions a tag list names under strong comparison (If-Match): weak tags never match. */
export const strongVersions = (tags: readonly EntityTag[]): number[] => {
  const versions = tags.filter((tag) => !tag.weak).map(versionOfTag);
  const known = versions.filter((v): v is number => v !== undefined);
  return known.length > 0 ? known : [NO_VERSION];
};

/** Versions a tag list names under weak comparison (If-None-Match). */
export const weakVersions = (tags: readonly EntityTag[]): number[] => {
  const known = tags.map(versionOfTag).filter((v): v is number => v !== undefined);
  return known.length > 0 ? known : [NO_VERSION];
};

/**
 * Whether the request carries an entity-tag precondition, the only kind that
 * protects against lost updates (dates have one-second resolution), so the
 * only kind that satisfies a collection's `requirePrecondition`.
 */
export const hasPrecondition = (p: Preconditions): boolean =>
  p.ifMatch !== undefined || p.ifNoneMatch !== undefined || p.bodyVersion !== undefined;

/** Milliseconds of the `Last-Modified` second of a time: HTTP dates have no fractions. */
const wholeSecond = (iso: string): number => Math.floor(Date.parse(iso) / 1000) * 1000;

/**
 * RFC 9110 §13.1.4: a date condition applies only without an entity-tag one
 * (§13.2.2 step 2); the write must then find the document last modified no
 * later than that second.
 */
const modifiedBefore = (p: Preconditions): string | undefined =>
  p.ifUnmodifiedSince === undefined || p.ifMatch !== undefined || p.bodyVersion !== undefined
    ? undefined
    : new Date(p.ifUnmodifiedSince + 1000).toISOString();

/**
 * RFC 9110 §13.1.3 and §13.2.2 step 4: a read answers 304 when the
 * document was not modified after the `If-Modified-Since` second. Only without
 * If-None-Match, which takes precedence.
 */
export const notModifiedSince = (p: Preconditions, item: StoredItem): boolean =>
  p.ifNoneMatch === undefined &&
  p.ifModifiedSince !== undefined &&
  wholeSecond(item.updatedAt) <= p.ifModifiedSince;

/**
 * An If-Match on a missing document is a failed precondition (RFC 9110
 * §13.1.1): the strict profile answers 412, the default one 404.
 */
export const ifMatchSource = (p: Preconditions): PreconditionSource | undefined =>
  p.ifMatch !== undefined ? 'if-match' : undefined;

/** The If-Match header is to blame only when the version fails the header's own tags. */
const versionSource = (p: Preconditions, version: number): PreconditionSource | undefined =>
  p.ifMatch !== undefined && p.ifMatch !== '*' && !strongVersions(p.ifMatch).includes(version)
    ? 'if-match'
    : undefined;

/** The storage condition a write must meet for these preconditions. */
export const writeCondition = (p: Preconditions, base: WriteCondition = {}): WriteCondition => {
  let versionIn: number[] | undefined;
  if (p.ifMatch !== undefined && p.ifMatch !== '*') versionIn = strongVersions(p.ifMatch);
  if (p.bodyVersion !== undefined) {
    if (versionIn && !versionIn.includes(p.bodyVersion)) {
      throw new BadRequestError('the body version does not agree with If-Match');
    }
    versionIn = [p.bodyVersion];
  }
  const mustExist = base.mustExist || p.ifMatch !== undefined || p.bodyVersion !== undefined;
  // Both at once (If-Match with If-None-Match: *, or a PATCH or DELETE with
  // If-None-Match: *) can never hold: the database refuses the write and
  // returns the document, and explainCondition says which header failed
  // (RFC 9110 §13.2.2: a failed precondition, not a malformed request).
  const mustBeAbsent = base.mustBeAbsent || p.ifNoneMatch === '*';
  const before = modifiedBefore(p);
  return {
    ...(mustExist ? { mustExist } : {}),
    ...(mustBeAbsent ? { mustBeAbsent } : {}),
    ...(versionIn ? { versionIn } : {}),
    ...(p.ifNoneMatch !== undefined && p.ifNoneMatch !== '*'
      ? { versionNotIn: weakVersions(p.ifNoneMatch) }
      : {}),
    ...(before !== undefined ? { modifiedBefore: before } : {}),
  };
};

/**
 * Why a lease keeps this write out: someone else holds an unexpired lease, or
 * the presented token's fencing token is not the current one.
 */
export const explainLease = (
  lease: NonNullable<WriteCondition['lease']>,
  current: StoredItem,
): DomainError | undefined => {
  const held = current.lease;
  const { token, now } = lease;
  const ours =
    token !== undefined && held?.leaseId === token.leaseId && held.fencing === token.fencing;
  if (held && held.expiresAt > now && !ours) {
    return new LockHeldError(
      'another client holds a lease on this document',
      held.expiresAt,
      retryAfterSeconds(held.expiresAt - now),
    );
  }
  if (token && (current.fencing ?? 0) !== token.fencing) {
    return new LockLostError(
      `fencing token ${token.fencing} is stale; the document is at fencing token ${current.fencing ?? 0}`,
      current.fencing ?? 0,
    );
  }
  return undefined;
};

const isLive = (item: StoredItem | undefined): item is StoredItem =>
  item !== undefined && !item.deleted;

/**
 * Why `condition` does not hold for `current`, as the error the client gets;
 * undefined when it holds. Used both before a write (on a read item) and
 * after a refused write (on the item the database returned).
 */
export const explainCondition = (
  condition: WriteCondition,
  current: StoredItem | undefined,
  p: Preconditions = {},
): DomainError | undefined => {
  if (!isLive(current)) {
    if (!condition.mustExist) return undefined;
    return new NotFoundError('no such document', ifMatchSource(p));
  }
  // A plain create (POST, or PUT with only If-None-Match: *) finds the id taken.
  if (condition.mustBeAbsent && !condition.versionIn) {
    const source = p.ifNoneMatch === '*' ? 'if-none-match' : undefined;
    return new AlreadyExistsError(`"${current.id}" already exists`, viewOf(current), source);
  }
  const leaseFailure = condition.lease && explainLease(condition.lease, current);
  if (leaseFailure) return leaseFailure;
  // RFC 9110 §13.2.2: If-Match first, then If-Unmodified-Since, then If-None-Match.
  if (condition.versionIn && !condition.versionIn.includes(current.version)) {
    return new VersionMismatchError(
      `the document is at version ${current.version}`,
      viewOf(current),
      versionSource(p, current.version),
    );
  }
  if (condition.modifiedBefore !== undefined && current.updatedAt >= condition.modifiedBefore) {
    return new VersionMismatchError(
      `the document was modified at ${current.updatedAt}, after If-Unmodified-Since`,
      viewOf(current),
      'if-unmodified-since',
    );
  }
  if (condition.mustBeAbsent) {
    return new AlreadyExistsError(
      `"${current.id}" exists, and If-None-Match: * requires that it does not`,
      viewOf(current),
      'if-none-match',
    );
  }
  if (condition.versionNotIn?.includes(current.version)) {
    return new VersionMismatchError(
      `the document is at version ${current.version}, which If-None-Match excludes`,
      viewOf(current),
      'if-none-match',
    );
  }
  return undefined;
};
