/**
 * One operation of a transaction as plan parts, given the record it
 * replaces (when read), and the answers that explain its refusals.
 */
import { pinOf } from './document-writes';
import { utf8Length } from './documents';
import {
  DomainError,
  NotFoundError,
  type OperationFailure,
  PatchTestFailedError,
  PayloadTooLargeError,
  TransactionConflictError,
  ValidationError,
  type ValidationIssue,
  VersionMismatchError,
} from './errors';
import { historyParts, lifecycleOf } from './history';
import { type JsonObject, type StoredItem, viewOf, type WriteCondition } from './items-model';
import { patchedBody } from './patched-body';
import { explainCondition } from './preconditions';
import { MAX_STORED_RESULT_BYTES } from './transaction-limits';
import type { OperationOutcome, OperationResult } from './transaction-model';
import type { PreparedOperation } from './transaction-operations';
import { uniqueParts } from './unique';
import { type DocumentPart, type PlanPart, writtenVersion } from './write-plan';

export type BuiltOperation =
  /** `parts[0]` is the part whose refusal explains the operation. */
  | {
      readonly kind: 'ready';
      readonly parts: readonly PlanPart[];
      readonly result: OperationResult;
    }
  | { readonly kind: 'failed'; readonly failure: OperationFailure }
  | { readonly kind: 'invalid'; readonly issues: readonly ValidationIssue[] };

/** A base: the record read (or returned with a refusal), undefined when none exists. */
export type Base = { readonly item: StoredItem | undefined };

const isLive = (item: StoredItem | undefined): item is StoredItem =>
  item !== undefined && !item.deleted;

export const failureOf = (p: PreparedOperation, error: DomainError): OperationFailure => ({
  index: p.index,
  op: p.op,
  collection: p.key.collection,
  id: p.key.id,
  error,
});

/** The 409 that lists every refused operation. */
export const refusedWith = (failures: readonly OperationFailure[]): TransactionConflictError =>
  new TransactionConflictError(
    `${failures.length} operation${failures.length === 1 ? '' : 's'} of the transaction failed; nothing was written`,
    { failures: [...failures].sort((a, b) => a.index - b.index) },
  );

/** Why a document whose pin kept failing is answered as changed. */
export const keptChanging = (current: StoredItem | undefined): DomainError =>
  isLive(current)
    ? new VersionMismatchError(
        `the document kept changing; it is at version ${current.version}`,
        viewOf(current),
      )
    : new NotFoundError('the document changed while the transaction was written');

/** Refuses results too large for the one record that answers a retry. */
export const sizeChecked = (results: readonly OperationResult[]): readonly OperationResult[] => {
  const bytes = utf8Length(JSON.stringify(results));
  if (bytes > MAX_STORED_RESULT_BYTES) {
    throw new PayloadTooLargeError(
      `the answer of this transaction would be ${bytes} bytes, and at most ` +
        `${MAX_STORED_RESULT_BYTES} can be kept to answer a retry; split it into smaller transactions`,
      MAX_STORED_RESULT_BYTES,
    );
  }
  return results;
};

const OUTCOME: Record<Exclude<PreparedOperation['op'], 'check'>, OperationOutcome> = {
  create: 'created',
  replace: 'replaced',
  patch: 'patched',
  delete: 'deleted',
};

export const uniqueFieldsOf = (p: PreparedOperation): readonly string[] =>
  p.collection.config.unique ?? [];

const bodyOf = (p: PreparedOperation, base: Base | undefined): JsonObject | null => {
  if (p.op === 'delete') return null;
  if (p.op === 'patch' && p.patch) return patchedBody(p.collection, p.key.id, p.patch, base?.item);
  if (!p.body) throw new Error(`a ${p.op} without a body`);
  return p.body;
};

/**
 * The parts of one operation. `condition` is the client's (with leases);
 * the part is pinned to `base` when one was read, else to the version the
 * condition names (null: a create expects an id that never existed).
 */
export const buildOperation = (
  p: PreparedOperation,
  condition: WriteCondition,
  base: Base | undefined,
  at: number,
  keyId: string | undefined,
  /** Unique fields whose old value another document holds: not ours to release. */
  skipRelease: ReadonlySet<string> = new Set(),
): BuiltOperation => {
  if (base) {
    const failure = explainCondition(condition, base.item, p.preconditions);
    if (failure) return { kind: 'failed', failure: failureOf(p, failure) };
  }
  const pin = pinOf(p.condition);
  const expectedVersion = base ? (base.item?.version ?? null) : (pin ?? null);
  const { collection, id } = p.key;
  if (p.op === 'check') {
    // An absence check needs no pin: a tombstone is absent too.
    const pinned = base !== undefined || pin !== null;
    const version = base ? (isLive(base.item) ? base.item.version : null) : (pin ?? null);
    return {
      kind: 'ready',
      parts: [
        {
          kind: 'check',
          key: p.key,
          condition: pinned ? { ...condition, expectedVersion } : condition,
        },
      ],
      result: { op: 'check', outcome: 'checked', collection, id, version },
    };
  }
  let body: JsonObject | null;
  try {
    body = bodyOf(p, base);
  } catch (error) {
    if (error instanceof ValidationError) {
      const issues = error.errors.map((issue) => ({
        pointer: `${p.pointer}/patch`,
        message: `${issue.pointer || '/'}: ${issue.message}`,
      }));
      return { kind: 'invalid', issues };
    }
    // A failed test, or no document to patch: the state refused it.
    if (error instanceof PatchTestFailedError || error instanceof NotFoundError) {
      return { kind: 'failed', failure: failureOf(p, error) };
    }
    // Anything else (a result too large to store) is the patch's own fault.
    if (error instanceof DomainError) {
      return {
        kind: 'invalid',
        issues: [{ pointer: `${p.pointer}/patch`, message: error.message }],
      };
    }
    throw error;
  }
  const created = base ? !isLive(base.item) : expectedVersion === null;
  const time = new Date(at).toISOString();
  const document: DocumentPart = {
    kind: 'document',
    key: p.key,
    body,
    condition: { ...condition, expectedVersion },
    at: time,
    ...lifecycleOf(p.collection.config.history, at, body === null),
  };
  const version = writtenVersion(document);
  // A replace that makes the document is its create, as for a single PUT.
  const makes = p.op === 'replace' && created;
  const history = historyParts(
    document,
    makes ? 'create' : p.op,
    p.collection.config.history,
    keyId,
  );
  const item = body ? viewOf({ id, version, deleted: false, body, updatedAt: time }) : undefined;
  const before = isLive(base?.item) ? base?.item.body : undefined;
  const unique = uniqueParts(p.key, uniqueFieldsOf(p), before, body, skipRelease);
  return {
    kind: 'ready',
    parts: [document, ...history, ...unique],
    result: {
      op: p.op,
      outcome: makes ? 'created' : OUTCOME[p.op],
      collection,
      id,
      version,
      ...(item ? { item } : {}),
    },
  };
};
