/** The DynamoDB stores of the functions whose routes use the table, from the environment. */
import { createDocumentClient } from '../store/client';
import { createDynamoApiKeyStore } from '../store/dynamo-api-key-store';
import { createDynamoItemStore } from '../store/dynamo-item-store';
import { createDynamoSubscriptionStore } from '../store/dynamo-subscription-store';
import { TABLE_NAME_ENV } from '../store/keys';
import type { FunctionStores } from './lambda-runtime';

export const dynamoStores = (): FunctionStores => {
  const tableName = process.env[TABLE_NAME_ENV];
  if (!tableName) throw new Error(`${TABLE_NAME_ENV} is not set`);
  const client = createDocumentClient();
  return {
    store: createDynamoItemStore({ client, tableName }),
    keys: createDynamoApiKeyStore({ client, tableName }),
    subscriptions: createDynamoSubscriptionStore({ client, tableName }),
  };
};
