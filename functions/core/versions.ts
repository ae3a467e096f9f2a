/**
 * Reading a document's version history. Another tenant's document, a
 * version retention dropped and a version that never existed all answer
 * 404. Restoring a version is a write (version-restore.ts).
 */
import type { Collection } from './collections';
import { checkId } from './documents';
import { BadRequestError, NotFoundError, VersionIsDeletionError } from './errors';
import {
  decodeVersionCursor,
  encodeVersionCursor,
  type HistoryEntry,
  isKept,
  type Operation,
  oldestKept,
} from './history';
import { etagOf, type ItemStore, type ItemView, viewOf } from './items-model';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './limits';

/** One version in a history listing. */
export interface VersionSummary {
  readonly version: number;
  readonly etag: string;
  readonly operation: Operation;
  readonly time: string;
  /** The API key that wrote it; null when it was not written through one. */
  readonly keyId: string | null;
  readonly deleted: boolean;
}

/** A version retention dropped, or one that never existed. */
export const notKept = (id: string, version: number) =>
  new NotFoundError(`version ${version} of "${id}" does not exist or is no longer kept`);

const summaryOf = (entry: HistoryEntry): VersionSummary => ({
  version: entry.version,
  etag: etagOf(entry.version),
  operation: entry.operation,
  time: entry.time,
  keyId: entry.keyId ?? null,
  deleted: entry.deleted,
});

/** Listing a document's versions and reading one: no writes. */
export const createVersionReads = ({
  collection,
  store,
  now,
}: {
  collection: (name: string) => Collection;
  store: ItemStore;
  now: () => number;
}) => {
  return {
    /** A page of a document's history, newest first; a deleted document still has one. */
    async listVersions(
      tenant: string,
      name: string,
      id: string,
      options: { limit?: number; cursor?: string },
    ): Promise<{ versions: VersionSummary[]; cursor?: string }> {
      const c = collection(name);
      checkId(id);
      const limit = options.limit ?? DEFAULT_PAGE_SIZE;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
        throw new BadRequestError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}`);
      }
      const below = options.cursor === undefined ? undefined : decodeVersionCursor(options.cursor);
      const key = { tenant, collection: name, id };
      const current = await store.get(key);
      if (!current) throw new NotFoundError(`no document "${id}"`);
      // Strictly between the newest version keepVersions dropped and the cursor.
      const after = oldestKept(current.version, c.config.history) - 1;
      const before = Math.min(below ?? Number.POSITIVE_INFINITY, current.version + 1);
      if (before - after < 2) return { versions: [] };
      const page = await store.listVersions(key, {
        limit,
        before,
        after,
        now: Math.floor(now() / 1000),
      });
      const more = page.before !== undefined && page.before - after >= 2;
      return {
        versions: page.entries.map(summaryOf),
        ...(more && page.before !== undefined ? { cursor: encodeVersionCursor(page.before) } : {}),
      };
    },

    /** One version's document, with that version's ETag. */
    async readVersion(
      tenant: string,
      name: string,
      id: string,
      version: number,
    ): Promise<ItemView> {
      const c = collection(name);
      checkId(id);
      const { item, entry } = await store.snapshot({ tenant, collection: name, id }, { version });
      if (!item || !entry || !isKept(entry, item.version, c.config.history, now())) {
        throw notKept(id, version);
      }
      if (entry.deleted) {
        throw new VersionIsDeletionError(`version ${version} of "${id}" is its deletion`, version);
      }
      return viewOf({ id, version, deleted: false, body: entry.body, updatedAt: entry.time });
    },
  };
};
