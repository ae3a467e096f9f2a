/**
 * What every Lambda function of the API shares: the table, the clients and
 * the observer, set up from the environment. Each function group has its own
 * entry (lambda-read.ts, lambda-write.ts, lambda-public.ts) that hands this
 * its group's handlers, so a group's bundle holds only its routes' code.
 */
import rawConfig from '../../concord.config.json' with { type: 'json' };
import { parseConfig } from '../core/config';
import { createDocumentClient } from '../store/client';
import { createDynamoApiKeyStore } from '../store/dynamo-api-key-store';
import { createDynamoItemStore } from '../store/dynamo-item-store';
import { createDynamoSubscriptionStore } from '../store/dynamo-subscription-store';
import { TABLE_NAME_ENV } from '../store/keys';
import { CORS_ORIGINS_ENV } from './cors';
import { createPowertoolsObserver } from './powertools-observer';
import { createRouteApp, type HttpHandler, type RouteHandlers } from './route-app';

/** The handler of a function that serves `handlers`. */
export const lambdaHandler = (handlers: RouteHandlers): HttpHandler => {
  const tableName = process.env[TABLE_NAME_ENV];
  if (!tableName) throw new Error(`${TABLE_NAME_ENV} is not set`);
  const client = createDocumentClient();
  return createRouteApp({
    handlers,
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
};
