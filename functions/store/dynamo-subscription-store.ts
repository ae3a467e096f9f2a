/** The DynamoDB implementation of the subscription port. */
import {
  DeleteCommand,
  type DynamoDBDocumentClient,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import type { StoredSubscription, SubscriptionStore } from '../core/subscriptions';
import { translateFailures } from './failures';
import {
  buildSubscriptionDelete,
  buildSubscriptionPut,
  buildSubscriptionQuery,
  toSubscription,
} from './subscription-requests';

class NoSuchSubscription extends Error {}

export const createDynamoSubscriptionStore = ({
  client,
  tableName,
}: {
  client: DynamoDBDocumentClient;
  tableName: string;
}): SubscriptionStore => ({
  async putSubscription(tenant, subscription) {
    await translateFailures(() =>
      client.send(new PutCommand(buildSubscriptionPut(tableName, tenant, subscription))),
    );
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
      await translateFailures(
        () => client.send(new DeleteCommand(buildSubscriptionDelete(tableName, tenant, id))),
        () => new NoSuchSubscription(),
      );
      return true;
    } catch (error) {
      if (error instanceof NoSuchSubscription) return false;
      throw error;
    }
  },
});
