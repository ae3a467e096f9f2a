/**
 * Restoring a version: its content written as a new version (versions never
 * go back), under the collection's precondition rules, through the same
 * commit path as every other write.
 */
import { type Collection, requirePrecondition, storedBody } from './collections';
import type { Recorded } from './conflicts';
import type { DocumentWriter, WriteOptions, WriteResult } from './document-writes';
import { checkId } from './documents';
import { NothingToRestoreError } from './errors';
import { isKept } from './history';
import type { ItemStore, JsonObject } from './items-model';
import { type Preconditions, writeCondition } from './preconditions';
import { notKept } from './versions';

export const createRestore = ({
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
}) => ({
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
            key,
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
});
