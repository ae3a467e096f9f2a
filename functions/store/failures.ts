/**
 * Turns AWS SDK failures into domain errors. A refused condition carries
 * the item DynamoDB returned with it; throttling, timeouts and outages that
 * outlived the SDK's retries, and writes whose outcome is unknown, become
 * `UnavailableError` (503 with Retry-After). Anything else is a bug and is
 * rethrown as is.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { UnavailableError } from '../core/errors';

const TRANSIENT_NAMES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  // The SDK call was aborted (its signal fired, or the socket was torn down
  // under it): nothing about the request says it was wrong, so try again.
  'AbortError',
  // Another transaction holds the item, or a retried transaction is still
  // being applied under its ClientRequestToken: sending again later works.
  'TransactionConflictException',
  'TransactionInProgressException',
]);

const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/**
 * A write attempt failed in a way that may follow an applied write (a
 * timeout after sending, a reset, a 5xx), so it was not retried: the write
 * may or may not have taken effect. The attempt's error is kept as
 * `attemptError`, not `cause`, because the SDK's retry classification
 * follows `cause` and would retry it after all.
 */
export class UnconfirmedWriteError extends Error {
  constructor(
    readonly command: string,
    readonly attemptError: unknown,
  ) {
    const reason = attemptError instanceof Error ? attemptError.message : String(attemptError);
    super(`${command} was not confirmed: ${reason}`);
    this.name = 'UnconfirmedWriteError';
  }
}

/** Seconds a client should wait before trying again after an outage answer. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 1;

export const isTransient = (error: unknown): boolean => {
  if (typeof error !== 'object' || error === null) return false;
  if (error instanceof UnconfirmedWriteError) return true;
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  return (
    TRANSIENT_NAMES.has(e.name ?? '') ||
    TRANSIENT_CODES.has(e.code ?? '') ||
    (e.$metadata?.httpStatusCode ?? 0) >= 500
  );
};

/**
 * The outage answer: try again shortly. A write whose answer was lost may
 * have been applied, and the answer says so rather than "nothing was done".
 */
export const unavailable = (cause: unknown): UnavailableError =>
  new UnavailableError(
    cause instanceof UnconfirmedWriteError
      ? 'the database did not confirm the write in time; it may or may not have been applied'
      : 'the database is unavailable; try again shortly',
    UNAVAILABLE_RETRY_AFTER_SECONDS,
    { cause },
  );

/**
 * Sends one request and translates its failure; `conditionFailed` turns the
 * record returned with a refused condition into the error the caller expects.
 */
export const translateFailures = async <T>(
  send: () => Promise<T>,
  conditionFailed?: (item: Record<string, unknown> | undefined) => Error,
): Promise<T> => {
  try {
    return await send();
  } catch (error) {
    if (conditionFailed && error instanceof ConditionalCheckFailedException) {
      throw conditionFailed(error.Item ? unmarshall(error.Item) : undefined);
    }
    if (isTransient(error)) throw unavailable(error);
    throw error;
  }
};

/**
 * Sends an UpdateItem that asks for `ReturnValues: ALL_NEW` and returns the
 * record after the write, translating failures as {@link translateFailures}.
 */
export const updatedRecord = async (
  send: () => Promise<{ Attributes?: Record<string, unknown> }>,
  conditionFailed?: (item: Record<string, unknown> | undefined) => Error,
): Promise<Record<string, unknown>> => {
  const { Attributes } = await translateFailures(send, conditionFailed);
  if (!Attributes) throw new Error('UpdateItem returned no attributes');
  return Attributes;
};
