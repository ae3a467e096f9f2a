/**
 * The one commit path: sends any plan as one request and maps a refusal
 * back to the parts that failed, each with the record DynamoDB returned
 * (`ConditionalCheckFailedException.Item` for a lone action,
 * `CancellationReasons[i].Item` for part i of a transaction).
 *
 * A `TransactionConflict` means another transaction was writing one of the
 * same records: nothing was written. On the idempotency record it is a
 * duplicate of this very request in flight (409 idempotency-in-flight);
 * anywhere else the same request is sent again after a short jittered wait,
 * a few times, before answering a retryable 409 transaction-conflict.
 */
import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
} from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { IdempotencyInFlightError, TransactionConflictError } from '../core/errors';
import {
  type CommitResult,
  type PartRefusal,
  type PlanPart,
  PlanRefusedError,
  type WritePlan,
} from '../core/write-plan';
import { toConflictRecord } from './conflict-requests';
import { isTransient, unavailable } from './failures';
import { toIdempotencyRecord } from './idempotency-requests';
import { buildPlanRequest } from './plan-requests';
import { toStoredItem } from './records';
import { sendWithRequestToken } from './request-token';
import { toStagedRecord } from './staged-requests';
import type { PlanRequest } from './transact-items';
import { ownerOf } from './unique-requests';

/** Attempts of one request whose records other transactions keep writing. */
export const CONFLICT_ATTEMPTS = 4;

/** Full-jitter wait before retry `retry` (0-based): uniform below 25 ms × 2^retry, at most 200 ms. */
export const conflictBackoffMs = (retry: number, random: () => number): number =>
  random() * Math.min(200, 25 * 2 ** retry);

export interface ConflictRetryOptions {
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
}

const THROTTLED_REASONS = new Set(['ThrottlingError', 'ProvisionedThroughputExceeded']);

type RawReason = { Code?: string; Item?: Record<string, unknown> };

/** A part's refusal, from the record returned with it. */
const refusalOf = (part: PlanPart, item: Record<string, unknown> | undefined): PartRefusal => {
  switch (part.kind) {
    case 'document':
      return { kind: 'document', current: item ? toStoredItem(item) : undefined };
    case 'lease':
      return { kind: 'lease', current: item ? toStoredItem(item) : undefined };
    case 'history':
    case 'history-drop':
      return { kind: 'history' };
    case 'unique-claim':
    case 'unique-release':
      return { kind: part.kind, owner: ownerOf(item) };
    case 'idempotency':
      return {
        kind: 'idempotency',
        record: item ? toIdempotencyRecord(item, part.record.keyHash) : undefined,
      };
    case 'check':
      return { kind: 'check', current: item ? toStoredItem(item) : undefined };
    case 'staged-close':
      return { kind: 'staged-close', current: item ? toStagedRecord(item) : undefined };
    case 'conflict-resolve':
      return { kind: 'conflict-resolve', current: item ? toConflictRecord(item) : undefined };
  }
};

/** One reason per part: what DynamoDB said about each, in plan order. */
const reasonsOf = (error: unknown): RawReason[] | undefined => {
  if (error instanceof ConditionalCheckFailedException) {
    return [
      { Code: 'ConditionalCheckFailed', ...(error.Item ? { Item: unmarshall(error.Item) } : {}) },
    ];
  }
  if (error instanceof Error && error.name === 'TransactionConflictException') {
    return [{ Code: 'TransactionConflict' }];
  }
  if (error instanceof TransactionCanceledException) {
    return (error.CancellationReasons ?? []).map((reason) => ({
      ...(reason.Code !== undefined ? { Code: reason.Code } : {}),
      ...(reason.Item ? { Item: unmarshall(reason.Item) } : {}),
    }));
  }
  return undefined;
};

/**
 * Runs `send` and settles what it did: the answer; a refusal; a duplicate
 * in flight; or, when only other writers were in the way, another attempt.
 *
 * @param parts what each position of the request stands for, to explain refusals
 */
export const sendWithConflictRetries = async <T>(
  send: () => Promise<T>,
  parts: readonly PlanPart[] | undefined,
  idempotencyIndex: number,
  { sleep = defaultSleep, random = Math.random }: ConflictRetryOptions = {},
): Promise<T> => {
  for (let retry = 0; ; retry++) {
    let reasons: RawReason[] | undefined;
    try {
      return await send();
    } catch (error) {
      reasons = reasonsOf(error);
      if (!reasons) throw isTransient(error) ? unavailable(error) : error;
      if (reasons.some((r) => THROTTLED_REASONS.has(r.Code ?? ''))) throw unavailable(error);
      const refused = reasons.map((r) => r.Code === 'ConditionalCheckFailed');
      const inFlight = reasons[idempotencyIndex]?.Code === 'TransactionConflict';
      // The stored answer of a duplicate outranks everything else this request ran into.
      if (parts && refused.some(Boolean) && !inFlight) {
        throw new PlanRefusedError(
          parts.map((part, i) => (refused[i] ? refusalOf(part, reasons?.[i]?.Item) : undefined)),
        );
      }
      if (!reasons.some((r) => r.Code === 'TransactionConflict')) throw error;
      if (inFlight || (idempotencyIndex >= 0 && retry + 1 >= CONFLICT_ATTEMPTS)) {
        throw new IdempotencyInFlightError(
          'a request with this Idempotency-Key is being written; retry shortly',
          { cause: error },
        );
      }
      if (retry + 1 >= CONFLICT_ATTEMPTS) {
        throw new TransactionConflictError(
          'other requests kept changing the same records; nothing was written, retry shortly',
          { cause: error },
        );
      }
    }
    await sleep(conflictBackoffMs(retry, random));
  }
};

const defaultSleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Sends a plan's request as the command its shape calls for. */
const sendRequest = async (
  client: DynamoDBDocumentClient,
  request: PlanRequest,
): Promise<CommitResult> => {
  switch (request.kind) {
    case 'update': {
      const { Attributes } = await client.send(new UpdateCommand(request.input));
      return Attributes ? { after: toStoredItem(Attributes) } : {};
    }
    case 'put':
      await client.send(new PutCommand(request.input));
      return {};
    case 'delete':
      await client.send(new DeleteCommand(request.input));
      return {};
    case 'transaction':
      await client.send(new TransactWriteCommand(request.input));
      return {};
  }
};

/** The store's commit: one plan, one request. */
export const createCommit =
  (client: DynamoDBDocumentClient, tableName: string, options: ConflictRetryOptions = {}) =>
  (plan: WritePlan): Promise<CommitResult> => {
    const request = buildPlanRequest(tableName, plan);
    const idempotencyIndex = plan.parts.findIndex((part) => part.kind === 'idempotency');
    return sendWithConflictRetries(
      () =>
        sendWithRequestToken(client, tableName, plan, request, (input) =>
          sendRequest(client, input),
        ),
      plan.parts,
      idempotencyIndex,
      options,
    );
  };
