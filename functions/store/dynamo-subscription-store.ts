/** The DynamoDB implementation of the subscription port. */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  QueryCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type StoredSubscription,
  SubscriptionLimitError,
  type SubscriptionStore,
} from '../core/subscriptions';
import { translateFailures, unavailable } from './failures';
import {
  buildSubscriptionCreate,
  buildSubscriptionDelete,
  buildSubscriptionQuery,
  toSubscription,
} from './subscription-requests';

/** Whether DynamoDB refused the transaction because part 0's condition failed. */
const firstPartRefused = (error: unknown): boolean =>
  error instanceof TransactionCanceledException &&
  error.CancellationReasons?.[0]?.Code === 'ConditionalCheckFailed';

/** A transaction cancelled for anything but part 0's condition: another writer, try again. */
const cancelled = (error: unknown): never => {
  if (error instanceof TransactionCanceledException) throw unavailable(error);
  throw error;
};

export const createDynamoSubscriptionStore = ({
  client,
  tableName,
}: {
  client: DynamoDBDocumentClient;
  tableName: string;
}): SubscriptionStore => ({
  async putSubscription(tenant, subscription, limit) {
    try {
      await translateFailures(() =>
        client.send(
          new TransactWriteCommand(buildSubscriptionCreate(tableName, tenant, subscription, limit)),
        ),
      );
    } catch (error) {
      if (firstPartRefused(error)) throw new SubscriptionLimitError(limit);
      cancelled(error);
    }
  },

  async listSubscriptions(tenant) {
    const found: StoredSubscription[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await translateFailures(() =>
        client.send(new QueryCommand(buildSubscriptionQuery(tableName, tenant, startKey))),
      );
      found.push(...(page.Items ?? []).map(toSubscription));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return found;
  },

  async deleteSubscription(tenant, id) {
    try {
      await translateFailures(() =>
        client.send(new TransactWriteCommand(buildSubscriptionDelete(tableName, tenant, id))),
      );
      return true;
    } catch (error) {
      if (firstPartRefused(error)) return false;
      return cancelled(error);
    }
  },
});
