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

  it('turns a failed condition with ALL_OLD into ConditionFailedError carrying the stored item', async () => {
    const error = await caught(
      conditionFailed({
        pk: { S: 'T#acme#C#notes' },
        sk: { S: 'I#n1' },
        id: { S: 'n1' },
        version: { N: '7' },
        state: { S: 'live' },
        body: { S: '{"title":"hi","tags":["a"]}' },
        updatedAt: { S: '2024-01-01T00:00:00.000Z' },
      }),
    );
    expect(error).toBeInstanceOf(ConditionFailedError);
    expect((error as ConditionFailedError).current).toEqual({
      id: 'n1',
      version: 7,
      deleted: false,
      body: { title: 'hi', tags: ['a'] },
      updatedAt: '2024-01-01T00:00:00.000Z',
    });
  });

  it('reads a tombstone returned with a failed condition as a deleted item with an empty body', async () => {
    const error = await caught(
      conditionFailed({
        id: { S: 'n1' },
        version: { N: '3' },
        state: { S: 'deleted' },
        updatedAt: { S: '2024-01-02T00:00:00.000Z' },
      }),
    );
    expect((error as ConditionFailedError).current).toEqual({
      id: 'n1',
      version: 3,
      deleted: true,
      body: {},
      updatedAt: '2024-01-02T00:00:00.000Z',
    });
  });

  it('has no current item when the condition failed on a missing record', async () => {
    const error = await caught(conditionFailed());
    expect(error).toBeInstanceOf(ConditionFailedError);
    expect((error as ConditionFailedError).current).toBeUndefined();
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
