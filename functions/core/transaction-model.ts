/**
 * Shapes of transactions: the operations a client sends (one-shot or staged
 * one at a time), and what each operation answers when the transaction
 * commits. An operation names its document and carries its own
 * preconditions, exactly like the single request it stands for.
 */
import type { ItemView, JsonValue, LockToken } from './items-model';
import type { Patch } from './patch';
import type { Preconditions } from './preconditions';

export type OperationName = 'create' | 'replace' | 'patch' | 'delete' | 'check';

interface Target {
  readonly collection: string;
  readonly id: string;
  /** Lets the operation through the caller's lease; a stale fencing token is refused. */
  readonly lockToken?: LockToken;
}

/** An operation as the HTTP layer read it (or as it was staged). */
export type TransactionOperation =
  | {
      readonly op: 'create';
      readonly collection: string;
      /** Made by the server (a ULID) when absent, or taken from `document.id`. */
      readonly id?: string;
      readonly document: JsonValue;
    }
  | (Target & {
      readonly op: 'replace';
      readonly document: JsonValue;
      readonly preconditions: Preconditions;
    })
  | (Target & {
      readonly op: 'patch';
      readonly patch: Patch;
      readonly preconditions: Preconditions;
    })
  | (Target & { readonly op: 'delete'; readonly preconditions: Preconditions })
  /** A precondition only: writes nothing, but the transaction commits only if it holds. */
  | (Target & { readonly op: 'check'; readonly preconditions: Preconditions });

export type OperationOutcome = 'created' | 'replaced' | 'patched' | 'deleted' | 'checked';

/** What one operation did in a committed transaction. */
export interface OperationResult {
  readonly op: OperationName;
  readonly outcome: OperationOutcome;
  readonly collection: string;
  readonly id: string;
  /**
   * The version written (for a delete, the tombstone's), or the version a
   * check found; null for a check that the document is absent.
   */
  readonly version: number | null;
  /** The document written, with its ETag; absent for deletes and checks. */
  readonly item?: ItemView;
}

export interface TransactionResult {
  /** One result per operation, in the order of the operations. */
  readonly results: readonly OperationResult[];
  /** True when this is the stored answer of an earlier request (or commit). */
  readonly replayed?: boolean;
}
