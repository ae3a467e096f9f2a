/**
 * A write is a plan: the change to a document (or to its lease) plus the side
 * records that must commit with it. The store sends any plan as one request
 * (one UpdateItem when it has one part, one TransactWriteItems otherwise) and
 * maps a refusal back part by part, each with the record DynamoDB returned,
 * so the domain can explain it without a second read.
 *
 * Features add parts to plans; they never send requests of their own.
 */

import type { ConflictRecord, ConflictResolution } from './conflicts-model';
import { bodyText, utf8Length } from './documents';
import { BadRequestError, PayloadTooLargeError } from './errors';
import type { HistoryEntry } from './history';
import type { IdempotencyRecord } from './idempotency';
import type { ItemKey, JsonObject, LockToken, StoredItem, WriteCondition } from './items-model';
import type { StagedRecord, StagedResult } from './staged-model';

/** Writes the next version of a document: its body, or a tombstone when `body` is null. */
export interface DocumentPart {
  readonly kind: 'document';
  readonly key: ItemKey;
  readonly body: JsonObject | null;
  /**
   * Must pin the version it replaces (`expectedVersion`): a transaction
   * returns nothing, so every part must know what it writes before sending.
   */
  readonly condition: WriteCondition & { readonly expectedVersion: number | null };
  /** ISO time of the write. */
  readonly at: string;
  /** The version a document that has no record starts at; 1 when absent. */
  readonly firstVersion?: number;
  /** A tombstone's expiry (epoch seconds), when tombstones expire. */
  readonly expiresAt?: number;
}

/** The version a document part writes. */
export const writtenVersion = (part: DocumentPart): number =>
  part.condition.expectedVersion === null
    ? (part.firstVersion ?? 1)
    : part.condition.expectedVersion + 1;

export type LeaseChange =
  | {
      readonly op: 'acquire';
      readonly leaseId: string;
      /** Epoch milliseconds. */
      readonly expiresAt: number;
      readonly now: number;
      /**
       * The fencing token this acquisition takes (the current one + 1). When
       * absent the store counts on from whatever is stored, which only a
       * one-part plan may do: its UpdateItem returns the record after.
       */
      readonly fencing?: number;
    }
  | {
      readonly op: 'renew';
      readonly token: LockToken;
      readonly expiresAt: number;
      /** Epoch milliseconds: the lease must still last then. */
      readonly now: number;
    }
  | { readonly op: 'release'; readonly token: LockToken };

/** Changes the lease on a live document. */
export interface LeasePart {
  readonly kind: 'lease';
  readonly key: ItemKey;
  readonly change: LeaseChange;
}

/** Records the result of a keyed write; refused while an unexpired record exists. */
export interface IdempotencyPart {
  readonly kind: 'idempotency';
  readonly tenant: string;
  readonly record: IdempotencyRecord;
  /** Epoch seconds: a record that expired before this may be replaced. */
  readonly now: number;
}

/** Puts the history entry of a version; refused if that version has one already. */
export interface HistoryPart {
  readonly kind: 'history';
  readonly key: ItemKey;
  readonly entry: HistoryEntry;
}

/** Deletes the history entry of a version retention no longer keeps (unconditional). */
export interface HistoryDropPart {
  readonly kind: 'history-drop';
  readonly key: ItemKey;
  readonly version: number;
}

/** A unique value of one field: its guard record names the document that holds it. */
export interface UniqueGuard {
  /** The document that holds (or held) the value; tenant and collection scope the guard. */
  readonly key: ItemKey;
  readonly field: string;
  /** SHA-256 of the value's canonical JSON: bounded key size whatever the value. */
  readonly valueHash: string;
}

/** Claims a value for the document: refused while another document holds it. */
export interface UniqueClaimPart extends UniqueGuard {
  readonly kind: 'unique-claim';
  /**
   * Another document of the same transaction that releases the value: the
   * claim takes the guard over from it (one action per guard, as DynamoDB
   * requires, instead of that document's release plus this claim).
   */
  readonly from?: string;
}

/** Releases a value the document held: refused when another document holds it. */
export interface UniqueReleasePart extends UniqueGuard {
  readonly kind: 'unique-release';
}

/**
 * A condition on a document that writes nothing: a transaction's `check`
 * operation. Refused, it returns the record like a document part.
 */
export interface CheckPart {
  readonly kind: 'check';
  readonly key: ItemKey;
  readonly condition: WriteCondition;
  /**
   * Refused whatever the record holds: stands in for an operation already
   * known to fail, so the request still tells how every other one fares.
   */
  readonly never?: true;
}

/**
 * Closes a staged transaction with the result of its commit: refused unless
 * the transaction is still open, unexpired at `now`, and holds exactly
 * `count` operations (none was added after they were read).
 */
export interface StagedClosePart {
  readonly kind: 'staged-close';
  readonly tenant: string;
  readonly txId: string;
  readonly count: number;
  /** Epoch milliseconds. */
  readonly now: number;
  readonly result: StagedResult;
  /** Epoch seconds until which the closed record answers a repeated commit. */
  readonly keepUntil: number;
}

/** Marks a conflict resolved: refused unless it is still open. */
export interface ConflictResolvePart {
  readonly kind: 'conflict-resolve';
  readonly tenant: string;
  readonly conflictId: string;
  readonly resolution: ConflictResolution;
}

export type PlanPart =
  | ConflictResolvePart
  | DocumentPart
  | LeasePart
  | HistoryPart
  | HistoryDropPart
  | UniqueClaimPart
  | UniqueReleasePart
  | IdempotencyPart
  | CheckPart
  | StagedClosePart;

export interface WritePlan {
  readonly parts: readonly PlanPart[];
  /**
   * Makes the request itself idempotent where the database supports it (a
   * TransactWriteItems `ClientRequestToken`): derived from an
   * Idempotency-Key, a second guard besides the plan's idempotency record.
   */
  readonly requestToken?: string;
}

/** Why one part was refused, with the record as DynamoDB returned it. */
export type PartRefusal =
  | { readonly kind: 'document'; readonly current: StoredItem | undefined }
  | { readonly kind: 'lease'; readonly current: StoredItem | undefined }
  | { readonly kind: 'history' }
  | { readonly kind: 'unique-claim' | 'unique-release'; readonly owner: string | undefined }
  | { readonly kind: 'idempotency'; readonly record: IdempotencyRecord | undefined }
  | { readonly kind: 'check'; readonly current: StoredItem | undefined }
  | { readonly kind: 'staged-close'; readonly current: StagedRecord | undefined }
  | { readonly kind: 'conflict-resolve'; readonly current: ConflictRecord | undefined };

/**
 * Thrown by {@link ItemStore.commit} when a condition failed: nothing was
 * written. `refusals[i]` explains part i (undefined when that part held).
 */
export class PlanRefusedError extends Error {
  constructor(readonly refusals: readonly (PartRefusal | undefined)[]) {
    super('write plan refused');
    this.name = 'PlanRefusedError';
  }

  /** The refusal of the first part of this kind, if that part was refused. */
  refusalOf<K extends PartRefusal['kind']>(
    plan: WritePlan,
    kind: K,
  ): Extract<PartRefusal, { kind: K }> | undefined {
    return this.refusedOf(plan, kind)?.refusal as Extract<PartRefusal, { kind: K }> | undefined;
  }

  /** The first refused part of this kind, with its refusal. */
  refusedOf<K extends PlanPart['kind']>(
    plan: WritePlan,
    kind: K,
  ): { part: Extract<PlanPart, { kind: K }>; refusal: PartRefusal } | undefined {
    const index = plan.parts.findIndex(
      (part, i) => part.kind === kind && this.refusals[i] !== undefined,
    );
    const refusal = this.refusals[index];
    const part = plan.parts[index];
    return refusal && part ? { part: part as Extract<PlanPart, { kind: K }>, refusal } : undefined;
  }
}

/** What a successful commit tells. */
export interface CommitResult {
  /**
   * The document record after the write, when the plan was one UpdateItem.
   * A transaction returns nothing, which is why its parts are all pinned.
   */
  readonly after?: StoredItem;
}

/** DynamoDB's limits on one TransactWriteItems. */
export const MAX_PLAN_PARTS = 100;
export const MAX_PLAN_BYTES = 4 * 1024 * 1024;

const keyParts = ({ tenant, collection, id }: ItemKey) => [tenant, collection, id];

/** Which stored record a part writes: no two parts of a plan may write the same one. */
const recordOf = (part: PlanPart): string => {
  switch (part.kind) {
    case 'document':
    case 'lease':
    case 'check':
      return JSON.stringify(['document', ...keyParts(part.key)]);
    case 'history':
      return JSON.stringify(['history', ...keyParts(part.key), part.entry.version]);
    case 'history-drop':
      return JSON.stringify(['history', ...keyParts(part.key), part.version]);
    case 'unique-claim':
    case 'unique-release': {
      const { tenant, collection } = part.key;
      return JSON.stringify(['unique', tenant, collection, part.field, part.valueHash]);
    }
    case 'idempotency':
      return JSON.stringify(['idempotency', part.tenant, part.record.keyHash]);
    case 'staged-close':
      return JSON.stringify(['staged', part.tenant, part.txId]);
    case 'conflict-resolve':
      return JSON.stringify(['conflict', part.tenant, part.conflictId]);
  }
};

/** Room for keys, names and expressions of one part. */
const PART_OVERHEAD_BYTES = 1024;

/** About the bytes a part puts on the wire: its JSON payloads plus a fixed allowance. */
const sizeOf = (part: PlanPart): number => {
  switch (part.kind) {
    case 'document':
      return PART_OVERHEAD_BYTES + (part.body ? utf8Length(bodyText(part.body)) : 0);
    case 'lease':
    case 'history-drop':
    case 'unique-claim':
    case 'unique-release':
    case 'check':
    case 'conflict-resolve':
      return PART_OVERHEAD_BYTES;
    case 'history':
      return PART_OVERHEAD_BYTES + utf8Length(bodyText(part.entry.body));
    case 'idempotency':
      return PART_OVERHEAD_BYTES + utf8Length(JSON.stringify(part.record.result));
    case 'staged-close':
      return PART_OVERHEAD_BYTES + utf8Length(JSON.stringify(part.result));
  }
};

/**
 * Checks a plan against DynamoDB's limits before anything is sent, so an
 * oversized write is a clear 4xx and never a failed request: at most 100
 * parts, 4 MB, one part per record, and only a one-part plan may leave a
 * lease acquisition unpinned.
 */
export const checkPlan = (plan: WritePlan): WritePlan => {
  const { parts } = plan;
  if (parts.length === 0) throw new Error('an empty write plan');
  if (parts.length > MAX_PLAN_PARTS) {
    throw new BadRequestError(`a write may change at most ${MAX_PLAN_PARTS} records at once`);
  }
  const records = new Set(parts.map(recordOf));
  if (records.size !== parts.length) {
    throw new BadRequestError('a write may change each record only once');
  }
  const bytes = parts.reduce((sum, part) => sum + sizeOf(part), 0);
  if (bytes > MAX_PLAN_BYTES) {
    throw new PayloadTooLargeError(
      `the write would send about ${bytes} bytes; the limit is ${MAX_PLAN_BYTES}`,
      MAX_PLAN_BYTES,
    );
  }
  const unpinned = parts.some(
    (part) => part.kind === 'lease' && part.change.op === 'acquire' && !part.change.fencing,
  );
  if (unpinned && parts.length > 1) {
    throw new Error('an unpinned lease acquisition must be the only part of its plan');
  }
  return plan;
};
