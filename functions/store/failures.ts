/**
 * Turns AWS SDK failures into domain errors. A refused condition carries
 * the item DynamoDB returned with it; throttling and outages that outlived
 * the SDK's retries become `UnavailableError` (503 with Retry-After). Anything
 * else is a bug and is rethrown as is.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { UnavailableError } from '../core/errors';
import { ConditionFailedError } from '../core/items-model';
import { toStoredItem } from './records';

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

/** A refused document write, with the document as it was. */
const documentConditionFailed = (item: Record<string, unknown> | undefined): Error =>
  new ConditionFailedError(item ? toStoredItem(item) : undefined);

/**
 * Sends one request and translates its failure; `conditionFailed` turns the
 * record returned with a refused condition into the error the caller expects.
 */
export const translateFailures = async <T>(
  send: () => Promise<T>,
  conditionFailed: (item: Record<string, unknown> | undefined) => Error = documentConditionFailed,
): Promise<T> => {
  try {
    return await send();
  } catch (error) {
    if (error instanceof ConditionalCheckFailedException) {
      throw conditionFailed(error.Item ? unmarshall(error.Item) : undefined);
    }
    if (isTransient(error)) {
      throw new UnavailableError(
        'the database is unavailable; try again shortly',
        UNAVAILABLE_RETRY_AFTER_SECONDS,
        { cause: error },
      );
    }
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
