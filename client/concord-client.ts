import { type CallScope, openScope } from './call-scope.js';
import {
  type ConflictPage,
  type ConflictRecord,
  getConflictSpec,
  type ListConflictsOptions,
  listConflictsSpec,
  type ResolutionStrategy,
  type ResolveConflictOptions,
  resolveConflictSpec,
  toConflict,
  toConflictPage,
} from './conflicts.js';
import { ConflictError } from './errors.js';
import { LastSeen } from './last-seen.js';
import { runWithLock } from './lock-loop.js';
import { toLease, toPage, toVersioned, toVersionPage, toWriteResult } from './representation.js';
import {
  acquireLockSpec,
  createSpec,
  deleteSpec,
  getSpec,
  getVersionSpec,
  JSON_PATCH,
  listSpec,
  listVersionsSpec,
  MERGE_PATCH,
  patchSpec,
  releaseLockSpec,
  renewLockSpec,
  replaceSpec,
  restoreSpec,
} from './request-specs.js';
import { abortableSleep, DEFAULT_CONFLICT_BACKOFF, DEFAULT_RETRY_POLICY } from './retry.js';
import type {
  BeginOptions,
  ManyMutator,
  TransactionOperation,
  TransactionOptions,
  TransactionResult,
} from './transaction-types.js';
import {
  beginSpec,
  runUpdateMany,
  StagedTransaction,
  toStagedState,
  toTransactionResult,
  transactionSpec,
} from './transactions.js';
import { type RawResponse, type RequestSpec, Transport } from './transport.js';
import type {
  CallOptions,
  ConcordClientOptions,
  DeleteOptions,
  GetOptions,
  IdempotentWriteOptions,
  JsonObject,
  JsonPatchOperation,
  Lease,
  ListOptions,
  LockOptions,
  Mutator,
  Page,
  PatchOptions,
  ReplaceOptions,
  RestoreOptions,
  SleepFn,
  UpdateOptions,
  VersionEntry,
  VersionedDocument,
  VersionPage,
  WithLockOptions,
  WriteResult,
} from './types.js';
import { runUpdate } from './update-loop.js';

/** An RFC 7396 merge patch: listed fields are replaced, `null` removes one. */
export type MergePatch<T extends object> = { [K in keyof T]?: T[K] | null };

const DEFAULT_TIMEOUT_MS = 30_000;

/**
 * Client for the Concord API on the platform `fetch` (Node 20+, browsers).
 * Every method rejects with a `ConcordError` subclass, honours `signal`, and
 * bounds the whole call (retries included) by `timeoutMs`.
 */
export class ConcordClient {
  readonly #transport: Transport;
  readonly #timeoutMs: number;
  readonly #random: () => number;
  readonly #sleep: SleepFn;
  readonly #now: () => number;
  readonly #lastSeen = new LastSeen();

  constructor(options: ConcordClientOptions) {
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#random = options.random ?? Math.random;
    this.#sleep = options.sleep ?? abortableSleep;
    this.#now = options.now ?? (() => performance.now());
    this.#transport = new Transport({
      baseUrl: options.baseUrl,
      apiKey: options.apiKey,
      // Looked up per call so a browser's fetch is never invoked detached from `globalThis`.
      fetch: options.fetch ?? ((input, init) => globalThis.fetch(input, init)),
      retry: { ...DEFAULT_RETRY_POLICY, ...options.retry },
      random: this.#random,
      sleep: this.#sleep,
    });
  }

  /**
   * `POST /v1/{collection}`: creates a document (its `id` from the body, or made
   * by the server). Fails with a `ConflictError` `already-exists` carrying the
   * existing document. Sends an `Idempotency-Key` unless disabled.
   */
  create<T extends object = JsonObject>(
    collection: string,
    document: T & { id?: string },
    options: IdempotentWriteOptions = {},
  ): Promise<WriteResult<T>> {
    return this.#call(createSpec(collection, document, options), options, toWriteResult<T>);
  }

  /** `GET /v1/{collection}/{id}`; rejects with `NotFoundError` when absent. */
  get<T extends object = JsonObject>(
    collection: string,
    id: string,
    options?: CallOptions & { ifNoneMatch?: undefined },
  ): Promise<VersionedDocument<T>>;
  /** Conditional read: resolves `undefined` (304) when `ifNoneMatch` is still the current ETag. */
  get<T extends object = JsonObject>(
    collection: string,
    id: string,
    options: GetOptions,
  ): Promise<VersionedDocument<T> | undefined>;
  get<T extends object = JsonObject>(collection: string, id: string, options: GetOptions = {}) {
    return this.#call(getSpec(collection, id, options.ifNoneMatch), options, readDocument<T>);
  }

  /**
   * `PUT /v1/{collection}/{id}` with `If-Match` (version-checked) or
   * `If-None-Match: *` (create only). Not retried after a network error or 5xx
   * unless it carries `idempotencyKey`: if the lost attempt had landed, the
   * repeat would fail with a version-mismatch whose `current` is your own write.
   */
  replace<T extends object = JsonObject>(
    collection: string,
    id: string,
    document: T,
    options: ReplaceOptions,
  ): Promise<WriteResult<T>> {
    return this.#call(replaceSpec(collection, id, document, options), options, toWriteResult<T>);
  }

  /** `PATCH` with an RFC 7396 merge patch, version-checked by `ifMatch`. */
  mergePatch<T extends object = JsonObject>(
    collection: string,
    id: string,
    patch: MergePatch<T>,
    options: PatchOptions,
  ): Promise<WriteResult<T>> {
    const spec = patchSpec(collection, id, patch, MERGE_PATCH, options);
    return this.#call(spec, options, toWriteResult<T>);
  }

  /** `PATCH` with RFC 6902 operations; a failed `test` is a `ConflictError` `patch-test-failed`. */
  jsonPatch<T extends object = JsonObject>(
    collection: string,
    id: string,
    operations: JsonPatchOperation[],
    options: PatchOptions,
  ): Promise<WriteResult<T>> {
    const spec = patchSpec(collection, id, operations, JSON_PATCH, options);
    return this.#call(spec, options, toWriteResult<T>);
  }

  /** `DELETE`, version-checked; retried only with `idempotencyKey` (see {@link replace}). */
  delete(collection: string, id: string, options: DeleteOptions): Promise<void> {
    return this.#call(deleteSpec(collection, id, options), options, () => undefined);
  }

  /** One page of `GET /v1/{collection}`. */
  list<T extends object = JsonObject>(
    collection: string,
    options: ListOptions = {},
  ): Promise<Page<T>> {
    return this.#call(listSpec(collection, options), options, toPage<T>);
  }

  /** Every document of a collection, fetching pages lazily; `timeoutMs` bounds each page. */
  async *listAll<T extends object = JsonObject>(
    collection: string,
    options: Omit<ListOptions, 'cursor'> = {},
  ): AsyncGenerator<VersionedDocument<T>, void, undefined> {
    yield* eachItem((cursor) => this.list<T>(collection, { ...options, cursor }));
  }

  /**
   * One page of `GET /v1/{collection}/{id}/versions`: the versions history still
   * keeps, newest first (a deleted document's history included). Rejects with
   * `NotFoundError` when the document has none.
   */
  versions(collection: string, id: string, options: ListOptions = {}): Promise<VersionPage> {
    return this.#call(listVersionsSpec(collection, id, options), options, toVersionPage);
  }

  /** Every kept version of a document, newest first, fetching pages lazily. */
  async *allVersions(
    collection: string,
    id: string,
    options: Omit<ListOptions, 'cursor'> = {},
  ): AsyncGenerator<VersionEntry, void, undefined> {
    yield* eachItem((cursor) => this.versions(collection, id, { ...options, cursor }));
  }

  /**
   * `GET …/versions/{n}`: that version's document, with its ETag. Rejects with
   * `NotFoundError` when the version was never written or is no longer kept,
   * and with a `ConcordError` of code `version-is-deletion` (410) for the
   * version that deleted the document.
   */
  version<T extends object = JsonObject>(
    collection: string,
    id: string,
    version: number,
    options: CallOptions = {},
  ): Promise<VersionedDocument<T>> {
    return this.#call(getVersionSpec(collection, id, version), options, readCurrent<T>);
  }

  /**
   * `POST …/versions/{n}/restore`: writes version n's content as a new version
   * (versions never go back), under the precondition a replace would need:
   * `ifMatch` the current version, or `ifNoneMatch: '*'` to revive a deleted
   * document (then `created` is true). A stale `ifMatch` rejects with a
   * `ConflictError` carrying the current document; restoring a deletion with
   * code `nothing-to-restore` (422). Sends an `Idempotency-Key` unless
   * disabled, so a retry after a lost answer is safe.
   */
  restore<T extends object = JsonObject>(
    collection: string,
    id: string,
    version: number,
    options: RestoreOptions,
  ): Promise<WriteResult<T>> {
    const spec = restoreSpec(collection, id, version, options);
    return this.#call(spec, options, toWriteResult<T>);
  }

  /**
   * Read-modify-write without lost updates: GET, `mutate`, PUT with `If-Match`.
   * On a version-mismatch, `mutate` runs again on the winner's document from the
   * conflict answer (no extra GET) after a full-jitter backoff, or on a fresh
   * GET when the backoff was longer than twice the refused PUT took; after
   * `maxAttempts` PUTs it rejects with the last `ConflictError`. `mutate` must
   * be pure: it may run several times. `id` and `version` in its result are
   * ignored. `timeoutMs` bounds the whole loop.
   *
   * When this client has updated the document before, it starts from the
   * newest state it saw then instead of a GET: if that is still current, the
   * update is one request; if not, the refusal carries the current state.
   */
  update<T extends object = JsonObject>(
    collection: string,
    id: string,
    mutate: Mutator<T>,
    options: UpdateOptions = {},
  ): Promise<WriteResult<T>> {
    const policy = {
      baseDelayMs: options.baseDelayMs ?? DEFAULT_CONFLICT_BACKOFF.baseDelayMs,
      maxDelayMs: options.maxDelayMs ?? DEFAULT_CONFLICT_BACKOFF.maxDelayMs,
      maxAttempts: options.maxAttempts ?? DEFAULT_CONFLICT_BACKOFF.maxAttempts,
      backoff: options.backoff ?? true,
      random: this.#random,
      now: this.#now,
    };
    return this.#scoped(options, (scope) => {
      const send = (spec: RequestSpec) => this.#transport.send(spec, scope);
      const seen = this.#lastSeen;
      const key = JSON.stringify([collection, id]);
      let start = seen.get<T>(key);
      const steps = {
        read: async () => {
          if (start) {
            const known = start;
            start = undefined;
            return known;
          }
          return seen.remember(key, readCurrent<T>(await send(getSpec(collection, id))));
        },
        write: async (doc: T, ifMatch: string, attempt: number) => {
          try {
            const spec = replaceSpec(collection, id, doc, {
              ifMatch,
              ...(options.lockToken !== undefined ? { lockToken: options.lockToken } : {}),
              ...(options.idempotencyKey !== undefined
                ? { idempotencyKey: `${options.idempotencyKey}.${attempt}` }
                : {}),
            });
            return seen.remember(key, toWriteResult<T>(await send(spec)));
          } catch (error) {
            if (error instanceof ConflictError && error.current) seen.remember(key, error.current);
            else seen.forget(key);
            throw error;
          }
        },
        wait: (ms: number) => this.#sleep(ms, scope.signal),
      };
      return runUpdate<T>(steps, mutate, policy);
    });
  }

  /**
   * `POST /v1/transactions`: all operations commit together or none does.
   * Rejects with a `TransactionConflictError` whose `failures` name every
   * refused operation with its reason and current state. Sends an
   * `Idempotency-Key` unless disabled, so a retry after a lost answer is safe.
   */
  transaction<T extends object = JsonObject>(
    operations: TransactionOperation[],
    options: TransactionOptions = {},
  ): Promise<TransactionResult<T>> {
    return this.#call(transactionSpec(operations, options), options, toTransactionResult<T>);
  }

  /**
   * The transaction analogue of {@link update}: reads every target, calls
   * `mutate` with their documents, and commits its answer in one transaction
   * pinned by each target's ETag (an object replaces the document, `null`
   * deletes it, `undefined` keeps it and checks it is unchanged). When
   * others changed some of them meanwhile, `mutate` runs again on their
   * current documents from the refusal (no extra reads), with full-jitter
   * backoff, up to `maxAttempts` transactions. `mutate` must be pure.
   */
  updateMany<T extends object = JsonObject>(
    targets: Array<{ collection: string; id: string }>,
    mutate: ManyMutator<T>,
    options: UpdateOptions = {},
  ): Promise<TransactionResult<T>> {
    const policy = {
      baseDelayMs: options.baseDelayMs ?? DEFAULT_CONFLICT_BACKOFF.baseDelayMs,
      maxDelayMs: options.maxDelayMs ?? DEFAULT_CONFLICT_BACKOFF.maxDelayMs,
      maxAttempts: options.maxAttempts ?? DEFAULT_CONFLICT_BACKOFF.maxAttempts,
      backoff: options.backoff ?? true,
      random: this.#random,
    };
    return this.#scoped(options, (scope) => {
      const send = (spec: RequestSpec) => this.#transport.send(spec, scope);
      const steps = {
        read: () =>
          Promise.all(
            targets.map(async ({ collection, id }) =>
              readCurrent<T>(await send(getSpec(collection, id))),
            ),
          ),
        write: async (operations: TransactionOperation[]) =>
          toTransactionResult<T>(await send(transactionSpec(operations, {}))),
        wait: (ms: number) => this.#sleep(ms, scope.signal),
      };
      return runUpdateMany<T>(targets, steps, mutate, policy);
    });
  }

  /** `POST /v1/transactions/staged`: begins a staged transaction to add operations to. */
  async beginTransaction(options: BeginOptions = {}): Promise<StagedTransaction> {
    const state = await this.#call(beginSpec(options.ttlSeconds), options, toStagedState);
    return this.stagedTransaction(state.id);
  }

  /** A staged transaction begun earlier (possibly by another process), by its id. */
  stagedTransaction(id: string): StagedTransaction {
    return new StagedTransaction(id, (spec, options, read) => this.#call(spec, options, read));
  }

  /**
   * `POST …/lock`: takes the document's lease. Rejects with a `ConflictError`
   * `lock-held` (its `Retry-After` says when the lease ends at the latest)
   * while another client holds it.
   */
  acquireLock(collection: string, id: string, options: LockOptions = {}): Promise<Lease> {
    return this.#call(acquireLockSpec(collection, id, options), options, toLease);
  }

  /** `PUT …/lock`: extends your lease; fails once another client took the lease. */
  renewLock(
    collection: string,
    id: string,
    lockToken: string,
    options: LockOptions = {},
  ): Promise<Lease> {
    return this.#call(renewLockSpec(collection, id, lockToken, options), options, toLease);
  }

  /** `DELETE …/lock`: ends your lease (a lease that already ended is fine). */
  releaseLock(collection: string, id: string, lockToken: string, options: CallOptions = {}) {
    return this.#call(releaseLockSpec(collection, id, lockToken), options, () => undefined);
  }

  /**
   * Runs `work` while holding the document's lease: waits up to `waitMs` for
   * it, renews it in the background, and always releases it. Pass
   * `lease.lockToken` as `lockToken` on the writes `work` makes; `signal`
   * aborts if a renewal fails, i.e. the lease may be lost.
   */
  withLock<R>(
    collection: string,
    id: string,
    work: (lease: Lease, signal: AbortSignal) => Promise<R>,
    options: WithLockOptions = {},
  ): Promise<R> {
    const { waitMs = 30_000, ...lockOptions } = options;
    const steps = {
      acquire: () => this.acquireLock(collection, id, lockOptions),
      renew: (token: string) => this.renewLock(collection, id, token, lockOptions),
      release: (token: string) => this.releaseLock(collection, id, token),
      wait: (ms: number) => this.#sleep(ms, options.signal ?? new AbortController().signal),
      now: () => Date.now(),
      random: this.#random,
    };
    return runWithLock(steps, work, waitMs);
  }

  /** One page of `GET /v1/conflicts`: recorded version conflicts, oldest first. */
  listConflicts(options: ListConflictsOptions = {}): Promise<ConflictPage> {
    return this.#call(listConflictsSpec(options), options, toConflictPage);
  }

  /** `GET /v1/conflicts/{id}`: one conflict with the refused proposal and the clashing paths. */
  getConflict(id: string, options: CallOptions = {}): Promise<ConflictRecord> {
    return this.#call(getConflictSpec(id), options, toConflict);
  }

  /**
   * `POST /v1/conflicts/{id}/resolution`: `ours` applies the refused proposal
   * to the current version, `theirs` keeps the current version, `merged`
   * writes `options.document`. Checked against the version recorded with the
   * conflict (or `ifMatch`): a `ConflictError` `version-mismatch` carries the
   * newer state, `conflict-resolved` says someone resolved it first.
   */
  resolveConflict(
    id: string,
    strategy: ResolutionStrategy,
    options: ResolveConflictOptions = {},
  ): Promise<ConflictRecord> {
    return this.#call(resolveConflictSpec(id, strategy, options), options, toConflict);
  }

  #call<R>(spec: RequestSpec, options: CallOptions, read: (raw: RawResponse) => R): Promise<R> {
    return this.#scoped(options, async (scope) => read(await this.#transport.send(spec, scope)));
  }

  async #scoped<R>(options: CallOptions, run: (scope: CallScope) => Promise<R>): Promise<R> {
    const scope = openScope(options.signal, options.timeoutMs ?? this.#timeoutMs);
    try {
      scope.throwIfAborted();
      return await run(scope);
    } finally {
      scope.close();
    }
  }
}

/** Every item of a paginated listing, fetching the next page only when the caller gets there. */
async function* eachItem<I>(
  page: (cursor: string | undefined) => Promise<{ items: I[]; nextCursor: string | null }>,
): AsyncGenerator<I, void, undefined> {
  let cursor: string | undefined;
  do {
    const next = await page(cursor);
    yield* next.items;
    cursor = next.nextCursor ?? undefined;
  } while (cursor !== undefined);
}

function readDocument<T extends object>(raw: RawResponse): VersionedDocument<T> | undefined {
  if (raw.status === 304) return undefined;
  return toVersioned<T>(raw.body, raw.status, raw.headers.get('etag'));
}

function readCurrent<T extends object>(raw: RawResponse): VersionedDocument<T> {
  return toVersioned<T>(raw.body, raw.status, raw.headers.get('etag'));
}
