/**
 * Turns AWS SDK failures into domain errors. A refused condition carries
 * the item DynamoDB returned with it; throttling and outages that outlived
 * the SDK's retries become `UnavailableError` (503 with Retry-After). Anything
 * else is a bug and is rethrown as is.
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
]);

const TRANSIENT_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/** Seconds a client should wait before trying again after an outage answer. */
export const UNAVAILABLE_RETRY_AFTER_SECONDS = 1;

export const isTransient = (error: unknown): boolean => {
  if (typeof error !== 'object' || error === null) return false;
  const e = error as { name?: string; code?: string; $metadata?: { httpStatusCode?: number } };
  return (
    TRANSIENT_NAMES.has(e.name ?? '') ||
    TRANSIENT_CODES.has(e.code ?? '') ||
    (e.$metadata?.httpStatusCode ?? 0) >= 500
  );
};

/** The outage answer: nothing was done, try again shortly. */
export const unavailable = (cause: unknown): UnavailableError =>
  new UnavailableError(
    'the database is unavailable; try again shortly',
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
