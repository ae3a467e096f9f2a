import type { ConflictLink } from './conflicts.js';
/**
 * Shapes of transactions as the client sends and receives them. Kept free
 * of runtime code like types.ts.
 */
import type {
  CallOptions,
  EntityTag,
  JsonObject,
  JsonPatchOperation,
  Stored,
  VersionedDocument,
} from './types.js';

interface Target {
  collection: string;
  id: string;
  /** The `lockToken` of a lease you hold on the document. */
  lockToken?: string;
}

/** One operation of a transaction; preconditions work as the If-Match / If-None-Match headers do. */
export type TransactionOperation =
  | {
      op: 'create';
      collection: string /** made by the server when absent */;
      id?: string;
      document: object;
    }
  | (Target & { op: 'replace'; document: object; ifMatch?: EntityTag; ifNoneMatch?: '*' })
  | (Target & {
      op: 'patch';
      /** A merge patch object, or JSON Patch operations with `patchFormat: 'json'`. */
      patch: object | JsonPatchOperation[];
      patchFormat?: 'merge' | 'json';
      ifMatch?: EntityTag;
    })
  | (Target & { op: 'delete'; ifMatch?: EntityTag })
  /** Writes nothing; the transaction commits only if the precondition holds. */
  | (Target & { op: 'check'; ifMatch?: EntityTag; ifNoneMatch?: EntityTag | '*' });

/** What one operation did: the answer its single request would have given. */
export interface OperationResult<T extends object = JsonObject> {
  readonly index: number;
  readonly op: TransactionOperation['op'];
  /** 201 created, 200 replaced, patched or checked, 204 deleted. */
  readonly status: number;
  readonly collection: string;
  readonly id: string;
  /** The version written (a delete's tombstone), or checked; null for a check of absence. */
  readonly version: number | null;
  readonly etag?: string;
  readonly location?: string;
  /** The document written (creates, replaces and patches). */
  readonly document?: Stored<T>;
}

export interface TransactionResult<T extends object = JsonObject> {
  readonly results: OperationResult<T>[];
  /** True when the server replayed the stored first answer. */
  readonly replayed: boolean;
}

/** Why one operation of a refused transaction failed, with the state that refused it. */
export interface OperationFailure<T extends object = JsonObject> {
  readonly index: number;
  readonly op: string;
  readonly collection: string;
  readonly id: string;
  /** `version-mismatch`, `already-exists`, `not-found`, `unique-violation`, `lock-held`, `lock-lost`, `patch-test-failed` */
  readonly reason: string;
  readonly detail: string | undefined;
  /** The document as it is now, when it exists. */
  readonly current: VersionedDocument<T> | undefined;
  /** The conflict the server recorded for this operation's version conflict. */
  readonly conflict: ConflictLink | undefined;
  /** The failure's other members (e.g. `field`, `location`, `leaseExpiresAt`, `pointer`). */
  readonly members: Readonly<Record<string, unknown>>;
}

export interface TransactionOptions extends CallOptions {
  /**
   * Sent by default (a random key reused across retries), which makes
   * retrying after a lost answer safe. Pass your own, or `false` for none.
   */
  idempotencyKey?: string | false;
}

/** The document to write for each target: an object replaces it, `null` deletes it, `undefined` keeps it (checked). */
export type ManyMutator<T extends object> = (
  current: Stored<T>[],
) => Array<T | null | undefined> | Promise<Array<T | null | undefined>>;

export interface StagedTransactionState<T extends object = JsonObject> {
  readonly id: string;
  readonly state: 'open' | 'committed' | 'aborted' | 'expired';
  readonly expiresAt: Date;
  readonly operations: TransactionOperation[];
  readonly results: OperationResult<T>[] | undefined;
}

export interface BeginOptions extends CallOptions {
  /** How long the transaction takes operations (server default 300, at most 3600). */
  ttlSeconds?: number;
}
