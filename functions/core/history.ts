/**
 * Version history. Every write of a document puts the entry of the version
 * it makes in the same request, so the history is complete and never holds
 * a version that was not written. Retention is kept by the writes
 * themselves and by the reads:
 *
 * - keepDays: each entry carries a TTL (`expiresAt`); TTL deletes late (and
 *   DynamoDB Local never), so reads ignore an entry whose time has passed;
 * - keepVersions: each write deletes the entry that falls out of the window
 *   in the same request (constant cost), and reads treat versions older
 *   than the window as gone (they may remain after the window shrank).
 */
import type { HistoryRetention } from './config';
import { BadRequestError } from './errors';
import type { JsonObject } from './items-model';
import { type DocumentPart, type PlanPart, writtenVersion } from './write-plan';

export type Operation = 'create' | 'replace' | 'patch' | 'delete' | 'restore';

/** One version of a document as history keeps it. */
export interface HistoryEntry {
  readonly version: number;
  readonly operation: Operation;
  /** ISO time of the write. */
  readonly time: string;
  /** The API key that wrote it, when the write came through one. */
  readonly keyId?: string;
  /** A tombstone: the version that deleted the document. */
  readonly deleted: boolean;
  /** The document body of this version (empty for a tombstone). */
  readonly body: JsonObject;
  /** Epoch seconds after which retention drops the entry. */
  readonly expiresAt: number;
}

const DAY_SECONDS = 24 * 60 * 60;

/**
 * The history parts of a document write: the new version's entry, and the
 * deletion of the entry that keepVersions no longer keeps.
 */
export const historyParts = (
  write: DocumentPart,
  operation: Operation,
  retention: HistoryRetention,
  keyId: string | undefined,
): PlanPart[] => {
  const version = writtenVersion(write);
  const entry: HistoryEntry = {
    version,
    operation,
    time: write.at,
    ...(keyId !== undefined ? { keyId } : {}),
    deleted: write.body === null,
    body: write.body ?? {},
    expiresAt: Math.floor(Date.parse(write.at) / 1000) + retention.keepDays * DAY_SECONDS,
  };
  // A document's first version keeps nothing older (it may start above 1).
  const dropped = write.condition.expectedVersion === null ? 0 : version - retention.keepVersions;
  return [
    { kind: 'history', key: write.key, entry },
    ...(dropped >= 1 ? [{ kind: 'history-drop' as const, key: write.key, version: dropped }] : []),
  ];
};

/**
 * What a document part needs from retention: where a document with no
 * record starts, and when its tombstone expires, once tombstones expire.
 */
export const lifecycleOf = (
  retention: HistoryRetention,
  atMs: number,
  deleting: boolean,
): { firstVersion?: number; expiresAt?: number } =>
  retention.tombstoneDays === undefined
    ? {}
    : {
        firstVersion: atMs,
        ...(deleting
          ? { expiresAt: Math.floor(atMs / 1000) + retention.tombstoneDays * DAY_SECONDS }
          : {}),
      };

/** The oldest version keepVersions still keeps, for a document at `current`. */
export const oldestKept = (current: number, retention: HistoryRetention): number =>
  Math.max(1, current - retention.keepVersions + 1);

/** Whether retention still keeps an entry, for a document at version `current`. */
export const isKept = (
  entry: HistoryEntry,
  current: number,
  retention: HistoryRetention,
  nowMs: number,
): boolean =>
  entry.version >= oldestKept(current, retention) &&
  entry.version <= current &&
  entry.expiresAt * 1000 > nowMs;

/** Versions in paths and cursors: positive integers of at most 15 digits. */
export const parseVersion = (text: string): number => {
  if (!/^[1-9][0-9]{0,14}$/.test(text)) {
    throw new BadRequestError('a version is a positive integer such as 7');
  }
  return Number(text);
};

/**
 * Cursors of the version list name the version to continue below and
 * nothing else: the partition (tenant, collection, document) always comes
 * from the request, so no cursor reaches another document or tenant.
 */
export const encodeVersionCursor = (before: number): string =>
  Buffer.from(JSON.stringify({ before })).toString('base64url');

export const decodeVersionCursor = (cursor: string): number => {
  try {
    const { before } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      before?: unknown;
    };
    if (typeof before === 'number') return parseVersion(String(before));
  } catch {
    // fall through to the client error below
  }
  throw new BadRequestError('the cursor is not one this API made');
};
