/**
 * The items domain: create-if-absent, version-checked replace, patch and
 * delete, read with preconditions, and listing. Every write is one
 * conditional store write (one transaction with an Idempotency-Key), so
 * concurrent writers that present the same version get exactly one winner.
 * Where a write needs the current document (a patch, an idempotent write),
 * it reads it and pins the write to the version it read.
 */
import { ulid } from 'ulid';
import type { CollectionConfig, ConcordConfig } from './config';
import { checkId, toStoredBody } from './documents';
import {
  BadRequestError,
  DomainError,
  NotFoundError,
  PreconditionRequiredError,
  ValidationError,
} from './errors';
import type { IdempotencyRequest } from './idempotency';
import { createIdempotentWriter } from './idempotent-write';
import {
  ConditionFailedError,
  type ItemKey,
  type ItemStore,
  type ItemView,
  type JsonObject,
  type JsonValue,
  type LockToken,
  type StoredItem,
  viewOf,
  type WriteCondition,
} from './items-model';
import { DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE } from './limits';
import { applyPatch, checkPatch, type Patch } from './patch';
import {
  explainCondition,
  hasPrecondition,
  notModifiedSince,
  type Preconditions,
  weakVersions,
  writeCondition,
} from './preconditions';
import { compileValidator, type DocumentValidator } from './schemas';

export interface ItemServiceOptions {
  readonly config: ConcordConfig;
  readonly store: ItemStore;
  /** Makes ids for documents posted without one. */
  readonly newId?: () => string;
  /** Epoch milliseconds, for lease expiry. */
  readonly now?: () => number;
}

export interface WriteResult {
  readonly item: ItemView;
  /** True when no live document had this id before. */
  readonly created: boolean;
  /** True when this is the stored answer to an earlier request with the same Idempotency-Key. */
  readonly replayed?: boolean;
}

/** What a write may carry besides its preconditions. */
export interface WriteOptions {
  /** Makes the write retry-safe: a repeat answers with the first result. */
  readonly idempotency?: IdempotencyRequest | undefined;
  /** Lets the write through the caller's lease; a stale fencing token is refused. */
  readonly lockToken?: LockToken | undefined;
}

export type ReadResult =
  | { readonly status: 'ok'; readonly item: ItemView }
  | { readonly status: 'not-modified'; readonly item: ItemView };

interface Collection {
  readonly config: CollectionConfig;
  readonly validate: DocumentValidator;
}

/** A patch retried this often when the client did not pin a version and others keep winning. */
const UNPINNED_PATCH_ATTEMPTS = 3;

/** Reads `id` and `version` from a client document; they must agree with the request. */
const bodyFields = (value: JsonValue): { id?: string; version?: number } => {
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
const withBodyVersion = (value: JsonValue, id: string, p: Preconditions): Preconditions => {
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
  const collections = new Map<string, Collection>(
    config.collections.map((c) => [c.name, { config: c, validate: compileValidator(c) }]),
  );

  const collection = (name: string): Collection => {
    const found = collections.get(name);
    if (!found) throw new NotFoundError(`no collection "${name}"`);
    return found;
  };

  const requirePrecondition = (c: Collection, p: Preconditions): void => {
    if (c.config.requirePrecondition && !hasPrecondition(p)) {
      throw new PreconditionRequiredError(
        `writes to "${c.config.name}" need If-Match (or If-None-Match: * to create)`,
      );
    }
  };

  const storedBody = (c: Collection, value: JsonValue): JsonObject => {
    const body = toStoredBody(value);
    c.validate(body);
    return body;
  };

  const idempotent = createIdempotentWriter(store);

  /**
   * One conditional write; a refused condition becomes the error that
   * explains it. With an Idempotency-Key, the write and its recorded result
   * are one transaction.
   */
  const write = async (
    key: ItemKey,
    body: JsonObject | null,
    unleased: WriteCondition,
    p: Preconditions,
    options: WriteOptions,
    /** What the caller already did: read the document, looked for an earlier answer. */
    done: { current?: StoredItem; replayChecked?: boolean } = {},
  ): Promise<WriteResult> => {
    // Every write also respects leases: only the holder writes while one is held.
    const condition: WriteCondition = {
      ...unleased,
      lease: { now: now(), ...(options.lockToken ? { token: options.lockToken } : {}) },
    };
    const idem = options.idempotency;
    if (idem) return idempotent.write(key, body, condition, p, idem, done);
    try {
      const { item, existed } = await store.write(key, body, condition);
      return { item: viewOf(item), created: !existed };
    } catch (error) {
      if (!(error instanceof ConditionFailedError)) throw error;
      throw (
        explainCondition(condition, error.current, p) ??
        new NotFoundError('the document changed while it was written')
      );
    }
  };

  /** The live document; an If-Match naming a missing one is a failed precondition too. */
  const readLive = async (key: ItemKey, p: Preconditions): Promise<StoredItem> => {
    const item = await store.get(key);
    if (!item || item.deleted) {
      throw new NotFoundError(
        `no document "${key.id}"`,
        p.ifMatch !== undefined ? 'if-match' : undefined,
      );
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
      const idem = options.idempotency;
      // A retry answers with the first result, even though its new id would differ.
      const earlier = idem && (await idempotent.replay(tenant, idem));
      if (earlier) return earlier;
      const fields = bodyFields(value);
      if (fields.version !== undefined) throw new BadRequestError('a new document has no version');
      const id = fields.id ?? newId();
      checkId(id);
      const body = storedBody(c, value);
      const key = { tenant, collection: name, id };
      return write(key, body, { mustBeAbsent: true }, {}, options, { replayChecked: true });
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
      return write({ tenant, collection: name, id }, storedBody(c, value), condition, pre, options);
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
      const idem = options.idempotency;
      // The first answer, even if the version it was checked against is gone by now.
      const earlier = idem && (await idempotent.replay(tenant, idem));
      if (earlier) return earlier;
      const pre = patch.format === 'merge' ? withBodyVersion(patch.value, id, p) : p;
      requirePrecondition(c, pre);
      const clientCondition = writeCondition(pre, { mustExist: true });
      const key = { tenant, collection: name, id };
      const pinned = clientCondition.versionIn !== undefined;
      for (let attempt = 1; ; attempt++) {
        const current = await readLive(key, pre);
        const failure = explainCondition(clientCondition, current, pre);
        if (failure) throw failure;
        const view = viewOf(current);
        const patched = applyPatch(view, patch);
        if (
          typeof patched === 'object' &&
          patched !== null &&
          !Array.isArray(patched) &&
          (patch.format === 'json'
            ? patched.id !== id || patched.version !== current.version
            : patched.id !== undefined && patched.id !== id)
        ) {
          throw new ValidationError('"id" and "version" are managed by the server', [
            { pointer: patched.id !== id ? '/id' : '/version', message: 'cannot be changed' },
          ]);
        }
        const condition = { ...clientCondition, versionIn: [current.version] };
        try {
          return await write(key, storedBody(c, patched), condition, pre, options, {
            current,
            replayChecked: true,
          });
        } catch (error) {
          // Nobody pinned a version: re-apply to the newer document instead of failing.
          const retry = !pinned && attempt < UNPINNED_PATCH_ATTEMPTS;
          if (!(retry && error instanceof DomainError && error.code === 'version-mismatch')) {
            throw error;
          }
        }
      }
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
      const condition = writeCondition(p, { mustExist: true });
      return write({ tenant, collection: name, id }, null, condition, p, options);
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
  };
};

export type ItemService = ReturnType<typeof createItemService>;
