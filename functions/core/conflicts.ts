/**
 * The conflict inbox: every refused version conflict is recorded right
 * after the refusal, and listed, read and resolved through the API.
 *
 * Recording never changes the answer: the refused write changed nothing,
 * the record is a separate write, and when it fails the 409 still goes out,
 * marked so that the request log and metrics count the failure.
 */
import type { ApplyTo } from './conflict-policy';
import type { ConflictProposal, ConflictRecord, ConflictStore } from './conflicts-model';
import { CONFLICT_STATUSES, type ConflictStatus } from './conflicts-model';
import {
  BadRequestError,
  type DomainError,
  MergeClashError,
  NotFoundError,
  PatchTestFailedError,
  TransactionConflictError,
  VersionMismatchError,
} from './errors';
import { DEFAULT_PAGE_SIZE, ID_PATTERN, MAX_PAGE_SIZE } from './limits';
import type { Clash } from './merge';
import type { EntityTag, Preconditions } from './preconditions';
import type { TransactionOperation } from './transaction-model';
import { ulid } from './ulid';

/** What a refusal is recorded with besides the error itself. */
export interface RefusalContext {
  readonly tenant: string;
  readonly collection: string;
  readonly documentId: string;
  readonly proposal: ConflictProposal;
  /** The version the request named (If-Match or body `version`), when it named one. */
  readonly named: number | undefined;
  readonly keyId: string | undefined;
  /** The operation's position, for a conflict inside a transaction. */
  readonly operationIndex?: number;
  /** The clashing paths, when the refusal itself does not carry them. */
  readonly paths?: readonly Clash[];
}

/**
 * Runs a document write and records the version conflict it is refused
 * with; `applyTo` is the request applied to a version, for the paths.
 */
export type Recorded = <T>(
  run: () => Promise<T>,
  context: Omit<RefusalContext, 'named' | 'keyId' | 'proposal'> & {
    readonly proposal: ConflictProposal | (() => Promise<ConflictProposal | undefined>);
  },
  p: Preconditions,
  options: { readonly keyId?: string | undefined },
  applyTo?: ApplyTo,
) => Promise<T>;

/** The one version a write's preconditions name, if they name exactly one. */
export const namedVersion = (p: Preconditions): number | undefined => {
  if (p.bodyVersion !== undefined) return p.bodyVersion;
  const tags = p.ifMatch;
  if (tags === undefined || tags === '*' || tags.length !== 1) return undefined;
  const [tag] = tags as readonly EntityTag[];
  return tag && !tag.weak && /^[0-9]{1,15}$/.test(tag.opaque) ? Number(tag.opaque) : undefined;
};

export const PATCH_MEDIA_TYPES = {
  merge: 'application/merge-patch+json',
  json: 'application/json-patch+json',
} as const;

/** A transaction operation as the request it would be alone; checks and creates propose nothing to resolve. */
export const proposalOfOperation = (op: TransactionOperation): ConflictProposal | undefined => {
  switch (op.op) {
    case 'replace':
      return { method: 'PUT', contentType: 'application/json', body: op.document };
    case 'patch':
      return {
        method: 'PATCH',
        contentType: PATCH_MEDIA_TYPES[op.patch.format],
        body: op.patch.value,
      };
    case 'delete':
      return { method: 'DELETE', body: null };
    default:
      return undefined;
  }
};

/** A refusal that is a version conflict, and so recorded. */
export const isRecordable = (
  error: unknown,
): error is VersionMismatchError | PatchTestFailedError =>
  error instanceof VersionMismatchError || error instanceof PatchTestFailedError;

const DAY_SECONDS = 24 * 60 * 60;

const pathsOf = (error: VersionMismatchError | PatchTestFailedError): Clash[] => {
  if (error instanceof MergeClashError) return [...error.clashes];
  if (error instanceof PatchTestFailedError) return [{ path: error.pointer }];
  return [];
};

/** A conflict as the API shows it. */
export const conflictView = (record: ConflictRecord) => {
  const { expiresAt, resolution, ...rest } = record;
  const { keyHash: _hidden, ...shown } = resolution ?? { keyHash: undefined };
  return {
    ...rest,
    expiresAt: new Date(expiresAt * 1000).toISOString(),
    resolution: resolution ? (shown as Omit<typeof resolution, 'keyHash'>) : null,
  };
};

export type ConflictView = ReturnType<typeof conflictView>;

const encodeCursor = (after: string): string =>
  Buffer.from(JSON.stringify({ after })).toString('base64url');

const decodeCursor = (cursor: string): string => {
  try {
    const { after } = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as {
      after?: unknown;
    };
    if (typeof after === 'string' && ID_PATTERN.test(after)) return after;
  } catch {
    // fall through to the client error below
  }
  throw new BadRequestError('the cursor is not one this API made');
};

export interface ConflictFilters {
  readonly limit?: number;
  readonly cursor?: string;
  readonly collection?: string;
  readonly documentId?: string;
  readonly status?: string;
  /** An ISO time. */
  readonly since?: string;
}

export const createConflictInbox = ({
  store,
  now,
  retentionDays,
  newId = ulid,
}: {
  store: ConflictStore;
  now: () => number;
  retentionDays: number;
  newId?: () => string;
}) => {
  /** An unexpired record of the tenant; 404 otherwise. */
  const find = async (tenant: string, id: string): Promise<ConflictRecord> => {
    const record = ID_PATTERN.test(id) ? await store.get(tenant, id) : undefined;
    if (!record || record.expiresAt * 1000 <= now()) {
      throw new NotFoundError(`no conflict "${id}"`);
    }
    return record;
  };

  return {
    find,

    /**
     * Records a refusal and names the record on the error, so the 409 links
     * to it. Never throws: a failure is marked on the error instead.
     */
    async record(error: DomainError, context: RefusalContext): Promise<void> {
      if (!isRecordable(error) || error.conflictId !== undefined) return;
      const at = now();
      const base = error instanceof MergeClashError ? error.baseVersion : (context.named ?? null);
      const record: ConflictRecord = {
        id: newId(),
        collection: context.collection,
        documentId: context.documentId,
        status: 'open',
        reason: error.code,
        baseVersion: base,
        currentVersion: error.current.version,
        proposal: context.proposal,
        paths: context.paths ? [...context.paths] : pathsOf(error),
        time: new Date(at).toISOString(),
        keyId: context.keyId ?? null,
        ...(context.operationIndex !== undefined ? { operationIndex: context.operationIndex } : {}),
        expiresAt: Math.floor(at / 1000) + retentionDays * DAY_SECONDS,
      };
      try {
        await store.record(context.tenant, record);
        error.conflictId = record.id;
      } catch (cause) {
        error.conflictRecordFailed = cause instanceof Error ? cause.name : 'unknown';
      }
    },

    /** Records each operation of a refused transaction that failed on a version conflict. */
    async recordTransaction(
      tenant: string,
      operations: readonly (TransactionOperation | undefined)[],
      error: unknown,
      keyId: string | undefined,
    ): Promise<void> {
      if (!(error instanceof TransactionConflictError)) return;
      for (const failure of error.failures) {
        const op = operations[failure.index];
        const proposal = op && proposalOfOperation(op);
        if (!op || !proposal || op.op === 'create') continue;
        await this.record(failure.error, {
          tenant,
          collection: failure.collection,
          documentId: failure.id,
          proposal,
          named: namedVersion(op.preconditions),
          keyId,
          operationIndex: failure.index,
        });
      }
    },

    /** A page of the tenant's unexpired conflicts, oldest first. */
    async list(
      tenant: string,
      filters: ConflictFilters,
    ): Promise<{ conflicts: ConflictView[]; cursor?: string }> {
      const limit = filters.limit ?? DEFAULT_PAGE_SIZE;
      if (!Number.isSafeInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
        throw new BadRequestError(`limit must be an integer from 1 to ${MAX_PAGE_SIZE}`);
      }
      const { status, since } = filters;
      if (status !== undefined && !CONFLICT_STATUSES.includes(status as ConflictStatus)) {
        throw new BadRequestError('status must be "open" or "resolved"');
      }
      const sinceMs = since === undefined ? undefined : Date.parse(since);
      // Ids start with their time in 48 bits: later times cannot be a bound.
      if (sinceMs !== undefined && !(sinceMs >= 0 && sinceMs < 2 ** 48)) {
        throw new BadRequestError('since must be an ISO 8601 time such as 2026-01-31T12:00:00Z');
      }
      const page = await store.list(tenant, {
        limit,
        now: Math.floor(now() / 1000),
        ...(filters.cursor !== undefined ? { after: decodeCursor(filters.cursor) } : {}),
        ...(filters.collection !== undefined ? { collection: filters.collection } : {}),
        ...(filters.documentId !== undefined ? { documentId: filters.documentId } : {}),
        ...(status !== undefined ? { status: status as ConflictStatus } : {}),
        ...(sinceMs !== undefined ? { since: sinceMs } : {}),
      });
      return {
        conflicts: page.records.map(conflictView),
        ...(page.after !== undefined ? { cursor: encodeCursor(page.after) } : {}),
      };
    },
  };
};

export type ConflictInbox = ReturnType<typeof createConflictInbox>;
