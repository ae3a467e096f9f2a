/**
 * What every Lambda function of the API shares: the configuration, the
 * observer and the settings from the environment. Each function group has
 * its own entry (lambda-read.ts, lambda-write.ts, lambda-coordinate.ts,
 * lambda-public.ts) that hands this its group's handlers, service makers and
 * stores, so a group's bundle holds only its routes' code, and the public
 * function, which has no table access, not even the DynamoDB client.
 */
import type { ApiKeyStore } from '../core/api-keys';
import type { ItemStore } from '../core/items-model';
import type { SubscriptionStore } from '../core/subscriptions';
import { createCloudWatchObserver } from './cloudwatch-observer';
import { CORS_ORIGINS_ENV } from './cors';
import { functionConfig } from './lambda-config';
import {
  createRouteApp,
  type HttpHandler,
  type RouteHandlers,
  type ServiceMakers,
} from './route-app';

/** The stores a function's routes use. */
export interface FunctionStores {
  readonly store: ItemStore;
  readonly keys: ApiKeyStore;
  readonly subscriptions?: SubscriptionStore;
}

/** The handler of a function that serves `handlers` with `services` over `stores`. */
export const lambdaHandler = (
  handlers: RouteHandlers,
  services: ServiceMakers,
  stores: FunctionStores,
): HttpHandler =>
  createRouteApp({
    handlers,
    services,
    ...stores,
    config: functionConfig(),
    // On AWS a webhook may only go to a public https address.
    webhooks: { localMode: false },
    observer: createCloudWatchObserver(),
    ...(process.env[CORS_ORIGINS_ENV]
      ? { corsOrigins: process.env[CORS_ORIGINS_ENV].split(',') }
      : {}),
  });
