/**
 * The items domain: create-if-absent, version-checked replace, patch and
 * delete, read with preconditions, and listing. Every write is one plan
 * sent as one request (document-writes.ts), pinned to the version it
 * replaces, so concurrent writers that present the same version get exactly
 * one winner.
 */

import { createCollections, requirePrecondition, storedBody } from './collections';
import type { ConcordConfig } from './config';
import { type ApplyTo, stalePolicyOf } from './conflict-policy';
import { createConflictResolution } from './conflict-resolution';
import {
  type ConflictFilters,
  conflictView,
  createConflictInbox,
  isRecordable,
  namedVersion,
  PATCH_MEDIA_TYPES,
  type Recorded,
  type RefusalContext,
} from './conflicts';
import type { ConflictProposal } from './conflicts-model';
import { createDocumentWriter, type WriteOptions, type WriteResult } from './document-writes';
import { checkId } from './documents';
import {
  BadRequestError,
  DomainError,
  MergeClashError,
  NotFoundError,
  VersionMismatchError,
} from './errors';
import {
  type ItemKey,
  type ItemStore,
  type ItemView,
  type JsonObject,
  type JsonValue,
  type StoredItem,
  storedOf,
  viewOf,
} from './items-model';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './limits';
import { type Clash, threeWayMerge } from './merge';
import { checkPatch, type Patch } from './patch';
import { patchedBody } from './patched-body';
import {
  explainCondition,
  ifMatchSource,
  notModifiedSince,
  type Preconditions,
  weakVersions,
  writeCondition,
} from './preconditions';
import { ulid } from './ulid';
import { createVersionOperations } from './versions';

export interface ItemServiceOptions {
  readonly config: ConcordConfig;
  readonly store: ItemStore;
  /** Makes ids for documents posted without one. */
  readonly newId?: () => string;
  /** Epoch milliseconds: the time of writes, and of lease expiry. */
  readonly now?: () => number;
}

export type { WriteOptions, WriteResult } from './document-writes';

export type ReadResult =
  | { readonly status: 'ok'; readonly item: ItemView }
  | { readonly status: 'not-modified'; readonly item: ItemView };

/** Reads `id` and `version` from a client document; they must agree with the request. */
export const bodyFields = (value: JsonValue): { id?: string; version?: number } => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return {};
  const { id, version } = value;
  if (id !== undefined && typeof id !== 'string')
    throw new BadRequestError('"id" must be a string');
  if (version !== undefined && !(Number.isSafeInteger(version) && (version as number) >= 0)) {
    throw new BadRequestError('"version" must be a non-negative integer');
  }
  return {
    ...(id !== undefined ? { id } : {}),
    ...(version !== undefined ? { version: version as number } : {}),
  };
};

/**
 * The preconditions of a write whose body may name its `id` (which must be
 * the path's) and `version` (which acts as If-Match).
 */
export const withBodyVersion = (value: JsonValue, id: string, p: Preconditions): Preconditions => {
  const fields = bodyFields(value);
  if (fields.id !== undefined && fields.id !== id) {
    throw new BadRequestError('the body "id" differs from the id in the path');
  }
  return fields.version !== undefined ? { ...p, bodyVersion: fields.version } : p;
};

/** Creates the items service over a store. Compiles every collection schema up front. */
export const createItemService = ({
  config,
  store,
  newId = ulid,
  now = Date.now,
}: ItemServiceOptions) => {
  const collection = createCollections(config);
  const writer = createDocumentWriter({ store, now });
  const inbox = createConflictInbox({
    store: store.conflicts,
    now,
    retentionDays: config.conflicts.retentionDays,
  });

  /**
   * The paths a plainly refused stale write and the versions since its base
   * both changed: what a merge would have clashed on. One read of the base,
   * on the conflict path only; undefined when it cannot be told.
   */
  const clashesOf = async (
    error: DomainError,
    key: ItemKey,
    named: number | undefined,
    applyTo: ApplyTo | undefined,
  ): Promise<Clash[] | undefined> => {
    if (!applyTo || named === undefined || !(error instanceof VersionMismatchError)) return;
    if (error instanceof MergeClashError || named >= error.current.version) return;
    try {
      // The refusal brought the current version; the base is known here if
      // this process wrote it (often: a client re-applies on what it wrote last).
      const known = writer.knownEntry(key, named);
      const current = storedOf(error.current);
      const { item, entry } =
        known && current
          ? { item: current, entry: known }
          : await store.snapshot(key, { version: named });
      if (!item || item.version !== error.current.version || !entry || entry.deleted) return;
      const base = { id: key.id, version: named, deleted: false, body: entry.body, updatedAt: '' };
      const ours = applyTo(base);
      return ours ? [...threeWayMerge(entry.body, item.body, ours).clashes] : undefined;
    } catch {
      // The refusal stands either way; the record just lists no paths.
      return;
    }
  };

  /**
   * Runs a write; a version conflict it is refused with is recorded before
   * the refusal goes on. `applyTo` (the request applied to a version) lets
   * the record list the clashing paths; a proposal only known after the
   * refusal (a restore's content) is asked for then.
   */
  const recorded: Recorded = async (run, context, p, options, applyTo) => {
    try {
      return await run();
    } catch (error) {
      if (error instanceof DomainError && isRecordable(error) && error.conflictId === undefined) {
        const key = {
          tenant: context.tenant,
          collection: context.collection,
          id: context.documentId,
        };
        const named = namedVersion(p);
        const proposal =
          typeof context.proposal === 'function' ? await context.proposal() : context.proposal;
        const paths = await clashesOf(error, key, named, applyTo);
        if (proposal) {
          await inbox.record(error, {
            ...context,
            proposal,
            named,
            keyId: options.keyId,
            ...(paths ? { paths } : {}),
          });
        }
      }
      throw error;
    }
  };

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
    /** Creates a document whose id (from the body, or a new ULID) must not exist yet. */
    async create(
      tenant: string,
      name: string,
      value: JsonValue,
      options: WriteOptions = {},
    ): Promise<WriteResult> {
      const c = collection(name);
      const fields = bodyFields(value);
      if (fields.version !== undefined) throw new BadRequestError('a new document has no version');
      // A retry with an Idempotency-Key makes another id, and is answered from the key's record.
      const id = fields.id ?? newId();
      checkId(id);
      const body = storedBody(c, value);
      return writer.write(
        {
          key: { tenant, collection: name, id },
          operation: 'create',
          retention: c.config.history,
          unique: c.config.unique,
          condition: { mustBeAbsent: true },
          preconditions: {},
          bodyFor: () => body,
        },
        options,
      );
    },

    /** Replaces (or, with `If-None-Match: *` or an opted-out collection, creates) a document. */
    async replace(
      tenant: string,
      name: string,
      id: string,
      value: JsonValue,
      p: Preconditions,
      options: WriteOptions = {},
    ): Promise<WriteResult> {
      const c = collection(name);
      checkId(id);
      const pre = withBodyVersion(value, id, p);
      requirePrecondition(c, pre);
      const condition = writeCondition(pre);
      const body = storedBody(c, value);
      const proposal: ConflictProposal = {
        method: 'PUT',
        contentType: 'application/json',
        body: value,
      };
      const context = { tenant, collection: name, documentId: id, proposal };
      return recorded(
        () =>
          writer.write(
            {
              key: { tenant, collection: name, id },
              operation: 'replace',
              retention: c.config.history,
              unique: c.config.unique,
              condition,
              preconditions: pre,
              bodyFor: () => body,
              stale: stalePolicyOf(c, () => body, { deletes: false, now }),
            },
            options,
          ),
        context,
        pre,
        options,
        () => body,
      );
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

    /**
     * Patches the current document. The write is conditioned on the version
     * the patch was applied to, so a concurrent change is never overwritten.
     */
    async patch(
      tenant: string,
      name: string,
      id: string,
      patch: Patch,
      p: Preconditions,
      options: WriteOptions = {},
    ): Promise<WriteResult> {
      const c = collection(name);
      checkId(id);
      checkPatch(patch);
      const pre = patch.format === 'merge' ? withBodyVersion(patch.value, id, p) : p;
      requirePrecondition(c, pre);
      const patched = (current: StoredItem | undefined): JsonObject =>
        patchedBody(c, id, patch, current);
      const proposal = {
        method: 'PATCH' as const,
        contentType: PATCH_MEDIA_TYPES[patch.format],
        body: patch.value,
      };
      const context = { tenant, collection: name, documentId: id, proposal };
      // Applied to the version read, and to each newer version a refusal brings
      // back when the client pinned none; never to a version it did not see.
      return recorded(
        () =>
          writer.write(
            {
              key: { tenant, collection: name, id },
              operation: 'patch',
              retention: c.config.history,
              unique: c.config.unique,
              condition: writeCondition(pre, { mustExist: true }),
              preconditions: pre,
              bodyFor: patched,
              readFirst: true,
              stale: stalePolicyOf(c, patched, { deletes: false, now }),
            },
            options,
          ),
        context,
        pre,
        options,
        patched,
      );
    },

    /** Deletes the version named by the preconditions, leaving a tombstone that keeps the version. */
    async remove(
      tenant: string,
      name: string,
      id: string,
      p: Preconditions,
      options: WriteOptions = {},
    ): Promise<WriteResult> {
      const c = collection(name);
      checkId(id);
      requirePrecondition(c, p);
      const proposal = { method: 'DELETE' as const, body: null };
      const context = { tenant, collection: name, documentId: id, proposal };
      return recorded(
        () =>
          writer.write(
            {
              key: { tenant, collection: name, id },
              operation: 'delete',
              retention: c.config.history,
              unique: c.config.unique,
              condition: writeCondition(p, { mustExist: true }),
              preconditions: p,
              bodyFor: () => null,
              stale: stalePolicyOf(c, () => null, { deletes: true, now }),
            },
            options,
          ),
        context,
        p,
        options,
      );
    },

    ...createVersionOperations({ collection, store, writer, now, recorded }),

    ...createConflictResolution({ collection, store, writer, inbox, now }),

    /** One page of the tenant's recorded conflicts, oldest first. */
    listConflicts: (tenant: string, filters: ConflictFilters) => inbox.list(tenant, filters),

    /** One recorded conflict. */
    getConflict: async (tenant: string, id: string) => conflictView(await inbox.find(tenant, id)),

    /** Records a refusal of a write made elsewhere (a transaction's operation). */
    recordConflict: (error: DomainError, context: RefusalContext) => inbox.record(error, context),

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
  };
};

export type ItemService = ReturnType<typeof createItemService>;
