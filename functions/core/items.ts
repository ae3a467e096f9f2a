/**
 * The items domain: create-if-absent, version-checked replace, patch and
 * delete, restore and conflict resolution, over the reads of item-reads.ts.
 * Every write is one plan sent as one request (document-writes.ts), pinned
 * to the version it replaces, so concurrent writers that present the same
 * version get exactly one winner.
 */
import { requirePrecondition, storedBody } from './collections';
import type { ConcordConfig } from './config';
import { type ApplyTo, stalePolicyOf } from './conflict-policy';
import { createConflictResolution } from './conflict-resolution';
import {
  isRecordable,
  namedVersion,
  PATCH_MEDIA_TYPES,
  type Recorded,
  type RefusalContext,
} from './conflicts';
import type { ConflictProposal } from './conflicts-model';
import { createDocumentWriter, type WriteOptions, type WriteResult } from './document-writes';
import { checkId } from './documents';
import { BadRequestError, DomainError, MergeClashError, VersionMismatchError } from './errors';
import { createItemReadParts, itemReadsOf } from './item-reads';
import {
  type ItemKey,
  type ItemStore,
  type JsonObject,
  type JsonValue,
  type StoredItem,
  storedOf,
} from './items-model';
import { type Clash, threeWayMerge } from './merge';
import { checkPatch, type Patch } from './patch';
import { patchedBody } from './patched-body';
import { type Preconditions, writeCondition } from './preconditions';
import { ulid } from './ulid';
import { createRestore } from './version-restore';

export interface ItemServiceOptions {
  readonly config: ConcordConfig;
  readonly store: ItemStore;
  /** Makes ids for documents posted without one. */
  readonly newId?: () => string;
  /** Epoch milliseconds: the time of writes, and of lease expiry. */
  readonly now?: () => number;
}

export type { WriteOptions, WriteResult } from './document-writes';

export type { ItemReads, ReadResult } from './item-reads';

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

/**
 * Creates the items service over a store: the reads of item-reads.ts and the
 * writes. Compiles every collection schema up front.
 */
export const createItemService = ({
  config,
  store,
  newId = ulid,
  now = Date.now,
}: ItemServiceOptions) => {
  const parts = createItemReadParts({ config, store, now });
  const { collection, inbox } = parts;
  const writer = createDocumentWriter({ store, now });

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

  return {
    ...itemReadsOf({ store, now }, parts),

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

    ...createRestore({ collection, store, writer, now, recorded }),

    ...createConflictResolution({ collection, store, writer, inbox, now }),

    /** Records a refusal of a write made elsewhere (a transaction's operation). */
    recordConflict: (error: DomainError, context: RefusalContext) => inbox.record(error, context),
  };
};

export type ItemService = ReturnType<typeof createItemService>;
