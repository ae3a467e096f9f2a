/**
 * The Lambda entry point. Every function group bundles this same file; the
 * group only decides which routes API Gateway sends it and which table
 * permissions it has.
 */
import rawConfig from '../../concord.config.json' with { type: 'json' };
import { parseConfig } from '../core/config';
import { createDocumentClient } from '../store/client';
import { createDynamoApiKeyStore } from '../store/dynamo-api-key-store';
import { createDynamoItemStore } from '../store/dynamo-item-store';
import { createDynamoSubscriptionStore } from '../store/dynamo-subscription-store';
import { TABLE_NAME_ENV } from '../store/keys';
import { createHttpHandler } from './app';
import { CORS_ORIGINS_ENV } from './cors';
import { createPowertoolsObserver } from './powertools-observer';

const tableName = process.env[TABLE_NAME_ENV];
if (!tableName) throw new Error(`${TABLE_NAME_ENV} is not set`);

const client = createDocumentClient();
export const handler = createHttpHandler({
  config: parseConfig(rawConfig),
  store: createDynamoItemStore({ client, tableName }),
  keys: createDynamoApiKeyStore({ client, tableName }),
  subscriptions: createDynamoSubscriptionStore({ client, tableName }),
  // On AWS a webhook may only go to a public https address.
  webhooks: { localMode: false },
  observer: createPowertoolsObserver(),
  ...(process.env[CORS_ORIGINS_ENV]
    ? { corsOrigins: process.env[CORS_ORIGINS_ENV].split(',') }
    : {}),
});
