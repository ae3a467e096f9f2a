import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { UnavailableError } from '../../../functions/core/errors';
import { ConditionFailedError } from '../../../functions/core/items-model';
import {
  isTransient,
  translateFailures,
  UNAVAILABLE_RETRY_AFTER_SECONDS,
  UnconfirmedWriteError,
} from '../../../functions/store/failures';

const failWith = (error: unknown) => translateFailures(() => Promise.reject(error));

const caught = async (error: unknown): Promise<unknown> => {
  try {
    await failWith(error);
  } catch (thrown) {
    return thrown;
  }
  throw new Error('translateFailures did not throw');
};

const conditionFailed = (Item?: ConditionalCheckFailedException['Item']) =>
  new ConditionalCheckFailedException({
    message: 'The conditional request failed',
    $metadata: { httpStatusCode: 400 },
    ...(Item ? { Item } : {}),
  });

describe('translateFailures', () => {
  it('passes a successful answer through', async () => {
    await expect(translateFailures(async () => 42)).resolves.toBe(42);
  });

  it('hands the record returned with a failed condition to the caller, unmarshalled', async () => {
    const seen: unknown[] = [];
    const error = await translateFailures(
      () =>
        Promise.reject(
          conditionFailed({
            pk: { S: 'KEY#abc' },
            quota: { N: '7' },
            scopes: { L: [{ S: 'read' }] },
          }),
        ),
      (item) => {
        seen.push(item);
        return new Error('refused');
      },
    ).catch((thrown: unknown) => thrown);
    expect((error as Error).message).toBe('refused');
    expect(seen).toEqual([{ pk: 'KEY#abc', quota: 7, scopes: ['read'] }]);
  });

  it('hands no record to the caller when the condition failed on a missing record', async () => {
    const seen: unknown[] = [];
    await translateFailures(
      () => Promise.reject(conditionFailed()),
      (item) => {
        seen.push(item);
        return new Error('refused');
      },
    ).catch(() => undefined);
    expect(seen).toEqual([undefined]);
  });

  it('rethrows a failed condition as is when the caller expects none', async () => {
    expect(await caught(conditionFailed())).toBeInstanceOf(ConditionalCheckFailedException);
  });

  it.each([
    'ProvisionedThroughputExceededException',
    'ThrottlingException',
    'RequestLimitExceeded',
    'InternalServerError',
    'ServiceUnavailable',
    'TimeoutError',
    'TransactionConflictException',
    'TransactionInProgressException',
  ])('turns %s into UnavailableError with a retry hint and the cause', async (name) => {
    const cause = Object.assign(new Error('slow down'), { name });
    const error = await caught(cause);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).retryAfterSeconds).toBe(UNAVAILABLE_RETRY_AFTER_SECONDS);
    expect((error as UnavailableError).retryable).toBe(true);
    expect((error as UnavailableError).cause).toBe(cause);
  });

  it('turns a 5xx answer of any name into UnavailableError', async () => {
    const cause = Object.assign(new Error('bad gateway'), {
      name: 'SomethingOdd',
      $metadata: { httpStatusCode: 502 },
    });
    expect(await caught(cause)).toBeInstanceOf(UnavailableError);
  });

  it('turns a refused connection into UnavailableError', async () => {
    const cause = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8000'), {
      code: 'ECONNREFUSED',
    });
    expect(await caught(cause)).toBeInstanceOf(UnavailableError);
  });

  it('turns a write whose outcome is unknown into UnavailableError that says so, never a conflict', async () => {
    const timeout = Object.assign(new Error('requestTimeout exceeded'), {
      name: 'TimeoutError',
      code: 'ETIMEDOUT',
    });
    const cause = new UnconfirmedWriteError('UpdateItemCommand', timeout);
    const error = await caught(cause);
    expect(error).toBeInstanceOf(UnavailableError);
    expect(error).not.toBeInstanceOf(ConditionFailedError);
    expect((error as UnavailableError).message).toMatch(/may or may not have been applied/);
    expect((error as UnavailableError).cause).toBe(cause);
    // The SDK's retry classification follows `cause`; the attempt's error must not be one.
    expect(cause.cause).toBeUndefined();
    expect(cause.attemptError).toBe(timeout);
  });

  it('turns an aborted SDK call into UnavailableError, never a 500', async () => {
    const cause = Object.assign(new Error('Request aborted'), { name: 'AbortError' });
    expect(isTransient(cause)).toBe(true);
    const error = await caught(cause);
    expect(error).toBeInstanceOf(UnavailableError);
    expect((error as UnavailableError).cause).toBe(cause);
  });

  it('rethrows a ValidationException as is', async () => {
    const cause = Object.assign(new Error('Invalid ConditionExpression'), {
      name: 'ValidationException',
      $metadata: { httpStatusCode: 400 },
    });
    expect(await caught(cause)).toBe(cause);
  });

  it('rethrows non-objects as is', async () => {
    expect(await caught('boom')).toBe('boom');
    expect(isTransient(null)).toBe(false);
    expect(isTransient({ $metadata: { httpStatusCode: 499 } })).toBe(false);
  });
});
