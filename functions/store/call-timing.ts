/**
 * SDK middleware that times every DynamoDB call (its retries included) and
 * records it in the stats of the API request it runs for.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { recordDatabaseCall } from '../core/request-stats';

const THROTTLES = new Set([
  'ProvisionedThroughputExceededException',
  'ThrottlingException',
  'RequestLimitExceeded',
]);

const isThrottle = (error: unknown): boolean =>
  typeof error === 'object' && error !== null && THROTTLES.has((error as Error).name);

export const timeDatabaseCalls = (client: DynamoDBClient): void => {
  client.middlewareStack.add(
    (next) => async (args) => {
      const started = performance.now();
      try {
        const result = await next(args);
        recordDatabaseCall(performance.now() - started, false);
        return result;
      } catch (error) {
        recordDatabaseCall(performance.now() - started, isThrottle(error));
        throw error;
      }
    },
    // `initialize` wraps the whole call, retries included.
    { step: 'initialize', name: 'timeDatabaseCalls' },
  );
};
