/**
 * The reading half of the items domain: a document with its preconditions,
 * a page of a collection, a document's version history and the conflict
 * inbox. It imports nothing of the write path, so a function that only
 * answers reads (the read function group) carries none of that code.
 */
import { type Collection, createCollections } from './collections';
import type { ConcordConfig } from './config';
import {
  type ConflictFilters,
  type ConflictInbox,
  conflictView,
  createConflictInbox,
} from './conflicts';
import { checkId } from './documents';
import { BadRequestError, NotFoundError } from './errors';
import {
  type ItemKey,
  type ItemStore,
  type ItemView,
  type StoredItem,
  viewOf,
} from './items-model';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './limits';
import {
  explainCondition,
  ifMatchSource,
  notModifiedSince,
  type Preconditions,
  weakVersions,
  writeCondition,
} from './preconditions';
import { createVersionReads } from './versions';

export type ReadResult =
  | { readonly status: 'ok'; readonly item: ItemView }
  | { readonly status: 'not-modified'; readonly item: ItemView };

export interface ItemReadOptions {
  readonly config: ConcordConfig;
  readonly store: ItemStore;
  /** Epoch milliseconds: what has expired (history entries, conflict records). */
  readonly now?: () => number;
}

/** What the reads are built on, shared with the write half so it is made once. */
export interface ItemReadParts {
  /** The declared collection by name; NotFoundError for any other. */
  readonly collection: (name: string) => Collection;
  readonly inbox: ConflictInbox;
}

/** The collections and the conflict inbox over a store. Compiles every collection schema. */
export const createItemReadParts = ({
  config,
  store,
  now = Date.now,
}: ItemReadOptions): ItemReadParts => ({
  collection: createCollections(config),
  inbox: createConflictInbox({
    store: store.conflicts,
    now,
    retentionDays: config.conflicts.retentionDays,
  }),
});

/** The read operations over a store, on parts made by {@link createItemReadParts}. */
export const itemReadsOf = (
  { store, now = Date.now }: Pick<ItemReadOptions, 'store' | 'now'>,
  { collection, inbox }: ItemReadParts,
) => {
  /** The live document; an If-Match naming a missing one is a failed precondition too. */
  const readLive = async (key: ItemKey, p: Preconditions): Promise<StoredItem> => {
    const item = await store.get(key);
    if (!item || item.deleted) {
      throw new NotFoundError(`no document "${key.id}"`, ifMatchSource(p));
    }
    return item;
  };

  return {
    /** Throws NotFoundError unless the collection is declared. */
    assertCollection(name: string): void {
      collection(name);
    },

    /**
     * Reads a live document, evaluating If-Match, If-Unmodified-Since,
     * If-None-Match and If-Modified-Since in RFC 9110 §13.2.2 order.
     */
    async read(tenant: string, name: string, id: string, p: Preconditions): Promise<ReadResult> {
      collection(name);
      checkId(id);
      const item = await readLive({ tenant, collection: name, id }, p);
      const { ifMatch, ifUnmodifiedSince, ifNoneMatch } = p;
      const failure = explainCondition(
        writeCondition({
          ...(ifMatch !== undefined ? { ifMatch } : {}),
          ...(ifUnmodifiedSince !== undefined ? { ifUnmodifiedSince } : {}),
        }),
        item,
        p,
      );
      if (failure) throw failure;
      const view = viewOf(item);
      const unchanged =
        ifNoneMatch !== undefined
          ? ifNoneMatch === '*' || weakVersions(ifNoneMatch).includes(item.version)
          : notModifiedSince(p, item);
      return { status: unchanged ? 'not-modified' : 'ok', item: view };
    },

    /** One page of live documents in id order. */
    async list(
      tenant: string,
      name: string,
      options: { limit?: number; cursor?: string },
    ): Promise<{ items: ItemView[]; cursor?: string }> {
      collection(name);
      const limit = options.limit ?? DEFAULT_PAGE_SIZE;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
        throw new BadRequestError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}`);
      }
      const page = await store.list(tenant, name, {
        limit,
        ...(options.cursor !== undefined ? { cursor: options.cursor } : {}),
      });
      return {
        items: page.items.map(viewOf),
        ...(page.cursor !== undefined ? { cursor: page.cursor } : {}),
      };
    },

    ...createVersionReads({ collection, store, now }),

    /** One page of the tenant's recorded conflicts, oldest first. */
    listConflicts: (tenant: string, filters: ConflictFilters) => inbox.list(tenant, filters),

    /** One recorded conflict. */
    getConflict: async (tenant: string, id: string) => conflictView(await inbox.find(tenant, id)),
  };
};

/** The read operations of the items domain over a store. */
export const createItemReads = (options: ItemReadOptions) =>
  itemReadsOf(options, createItemReadParts(options));

export type ItemReads = ReturnType<typeof createItemReads>;
