/**
 * Reading a document's version history and restoring a version. Restoring
 * writes the old content as a new version (versions never go back), under
 * the collection's precondition rules, through the same commit path as every
 * other write. Another tenant's document, a version retention dropped and a
 * version that never existed all answer 404.
 */
import { type Collection, requirePrecondition, storedBody } from './collections';
import type { Recorded } from './conflicts';
import type { DocumentWriter, WriteOptions, WriteResult } from './document-writes';
import { checkId } from './documents';
import {
  BadRequestError,
  NotFoundError,
  NothingToRestoreError,
  VersionIsDeletionError,
} from './errors';
import {
  decodeVersionCursor,
  encodeVersionCursor,
  type HistoryEntry,
  isKept,
  type Operation,
  oldestKept,
} from './history';
import { etagOf, type ItemStore, type ItemView, type JsonObject, viewOf } from './items-model';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './limits';
import { type Preconditions, writeCondition } from './preconditions';

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

const summaryOf = (entry: HistoryEntry): VersionSummary => ({
  version: entry.version,
  etag: etagOf(entry.version),
  operation: entry.operation,
  time: entry.time,
  keyId: entry.keyId ?? null,
  deleted: entry.deleted,
});

export const createVersionOperations = ({
  collection,
  store,
  writer,
  now,
  recorded,
}: {
  collection: (name: string) => Collection;
  store: ItemStore;
  writer: DocumentWriter;
  now: () => number;
  /** Records the version conflict a restore is refused with. */
  recorded: Recorded;
}) => {
  const notKept = (id: string, version: number) =>
    new NotFoundError(`version ${version} of "${id}" does not exist or is no longer kept`);

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

    /**
     * Writes version `version`'s content as a new version. Reviving a deleted
     * document is a create (`If-None-Match: *`); restoring over a live one
     * names its current version (`If-Match`).
     */
    async restore(
      tenant: string,
      name: string,
      id: string,
      version: number,
      p: Preconditions,
      options: WriteOptions = {},
    ): Promise<WriteResult> {
      const c = collection(name);
      checkId(id);
      requirePrecondition(c, p);
      const retention = c.config.history;
      const key = { tenant, collection: name, id };
      /** The content restored, as a PUT of it would send it; read again only on a conflict. */
      let restored: JsonObject | undefined;
      const content = async (): Promise<JsonObject | undefined> => {
        if (restored) return restored;
        const { entry } = await store.snapshot(key, { version });
        if (entry && !entry.deleted) restored = entry.body;
        return restored;
      };
      return recorded(
        () =>
          writer.write(
            {
              key: { tenant, collection: name, id },
              operation: 'restore',
              retention,
              unique: c.config.unique,
              condition: writeCondition(p),
              preconditions: p,
              readVersion: version,
              bodyFor: (current, entry) => {
                if (!current || !entry || !isKept(entry, current.version, retention, now())) {
                  throw notKept(id, version);
                }
                if (entry.deleted) {
                  throw new NothingToRestoreError(
                    `version ${version} of "${id}" is its deletion; restore a version with content`,
                    version,
                  );
                }
                // The restored content must satisfy the collection's schema as it is now.
                restored = storedBody(c, entry.body);
                return restored;
              },
            },
            options,
          ),
        {
          tenant,
          collection: name,
          documentId: id,
          // Resolving it as `ours` writes the restored content over the current version.
          proposal: async () => {
            const body = await content().catch(() => undefined);
            return body ? { method: 'PUT', contentType: 'application/json', body } : undefined;
          },
        },
        p,
        options,
        () => restored ?? null,
      );
    },
  };
};
