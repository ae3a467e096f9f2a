/**
 * The HTTP application: one middy handler that serves every route of the
 * route table. Lambda and the local server run this same function; only the
 * way events arrive differs.
 */
import middy from '@middy/core';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { type AccessOptions, createAccessService } from '../core/access';
import type { ApiKeyStore } from '../core/api-keys';
import type { ConcordConfig } from '../core/config';
import {
  BadRequestError,
  type DomainError,
  MethodNotAllowedError,
  NotFoundError,
} from '../core/errors';
import { createItemService } from '../core/items';
import type { ItemStore } from '../core/items-model';
import { createLeaseService } from '../core/leases';
import { currentRequestStats, withRequestStats } from '../core/request-stats';
import { createStagedTransactionService } from '../core/staged-transactions';
import {
  createSubscriptionService,
  type SubscriptionService,
  type SubscriptionStore,
} from '../core/subscriptions';
import { createTransactionService } from '../core/transactions';
import type { WebhookPolicy } from '../core/webhook-urls';
import { admission, principalOf } from './admission';
import { getConflict, listConflicts, resolveConflict } from './handlers/conflicts';
import { getDocs, getDocsScript } from './handlers/docs';
import {
  createItem,
  deleteItem,
  getItem,
  listItems,
  patchItem,
  type RouteHandler,
  replaceItem,
} from './handlers/items';
import { acquireLock, releaseLock, renewLock } from './handlers/locks';
import { getOpenApi } from './handlers/openapi';
import {
  createSubscription,
  deleteSubscription,
  listSubscriptions,
} from './handlers/subscriptions';
import {
  abortStaged,
  addStaged,
  beginStaged,
  commitStaged,
  getStaged,
  runTransaction,
} from './handlers/transactions';
import { getVersion, listVersions, restoreVersion } from './handlers/versions';
import { cors, headWithoutBody, problems } from './middleware';
import { observe, type RequestObserver } from './observability';
import { matchRoute } from './route-match';
import { type HandlerName, routeFor } from './routes';

export interface AppDependencies {
  readonly config: ConcordConfig;
  readonly store: ItemStore;
  readonly keys: ApiKeyStore;
  /** Origins browsers may call from; every origin (`*`) by default. */
  readonly corsOrigins?: readonly string[];
  /** Receives one record per request (logs, metrics); nothing is recorded without one. */
  readonly observer?: RequestObserver;
  /** The admission's clock and settings; the defaults when absent. */
  readonly access?: Omit<AccessOptions, 'keys'>;
  /** Where webhook subscriptions live; without one, the subscription routes answer 404. */
  readonly subscriptions?: SubscriptionStore;
  /** Which webhook URLs may be registered; AWS rules (no local mode) when absent. */
  readonly webhooks?: WebhookPolicy;
}

/** No tenant's data lives here: what a public route would see if it asked. */
const PUBLIC_TENANT = '-';

const HANDLERS: Record<HandlerName, RouteHandler> = {
  'items.create': createItem,
  'items.list': listItems,
  'items.get': getItem,
  'items.replace': replaceItem,
  'items.patch': patchItem,
  'items.delete': deleteItem,
  'openapi.get': getOpenApi,
  'docs.page': getDocs,
  'docs.script': getDocsScript,
  'conflicts.list': listConflicts,
  'conflicts.get': getConflict,
  'conflicts.resolve': resolveConflict,
  'locks.acquire': acquireLock,
  'locks.renew': renewLock,
  'locks.release': releaseLock,
  'versions.list': listVersions,
  'versions.get': getVersion,
  'versions.restore': restoreVersion,
  'transactions.run': runTransaction,
  'transactions.begin': beginStaged,
  'transactions.get': getStaged,
  'transactions.add': addStaged,
  'transactions.commit': commitStaged,
  'transactions.abort': abortStaged,
  'subscriptions.create': createSubscription,
  'subscriptions.list': listSubscriptions,
  'subscriptions.delete': deleteSubscription,
};

/** What the subscription routes use when the API has no subscription store. */
const noSubscriptions: SubscriptionService = {
  create: () => Promise.reject(new NotFoundError('webhooks are not set up on this server')),
  list: () => Promise.reject(new NotFoundError('webhooks are not set up on this server')),
  remove: () => Promise.reject(new NotFoundError('webhooks are not set up on this server')),
};

/**
 * What API Gateway's `$default` route (and any unknown route key) answers:
 * the same 404 / 405 the local server gives, as problem+json.
 */
const unmatched = (event: APIGatewayProxyEventV2): DomainError => {
  const match = matchRoute(event.requestContext.http.method, event.rawPath);
  if (match.kind === 'method-not-allowed') {
    return new MethodNotAllowedError(`allowed: ${match.allow.join(', ')}`, match.allow);
  }
  if (match.kind === 'bad-path') return new BadRequestError('malformed path');
  return new NotFoundError(`no route for ${event.rawPath}`);
};

export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** Builds the handler for all routes over the given configuration and store. */
export const createHttpHandler = ({
  config,
  store,
  keys,
  corsOrigins,
  observer,
  access: accessOptions,
  subscriptions: subscriptionStore,
  webhooks = { localMode: false },
}: AppDependencies): HttpHandler => {
  const items = createItemService({ config, store });
  const leases = createLeaseService({ store, collection: items.assertCollection });
  const transactions = createTransactionService({ config, store });
  const staged = createStagedTransactionService({ transactions, store });
  const access = createAccessService({ ...accessOptions, keys });
  const subscriptions = subscriptionStore
    ? createSubscriptionService({ store: subscriptionStore, policy: webhooks })
    : noSubscriptions;
  const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(observe(currentRequestStats, observer))
    .use(cors(corsOrigins))
    .use(headWithoutBody())
    .use(admission(access))
    .use(problems(config.profile))
    .handler(async (event) => {
      const route = routeFor(event.routeKey);
      if (!route) throw unmatched(event);
      const principal = principalOf(event);
      // Public routes never read tenant data; a route that does always has a principal.
      const tenant = principal?.tenant ?? PUBLIC_TENANT;
      return HANDLERS[route.handler](event, {
        config,
        items,
        leases,
        transactions,
        staged,
        subscriptions,
        tenant,
      });
    });
  const serve = handler as unknown as HttpHandler;
  // Every database call of the request adds to its own stats.
  return (event, context) => withRequestStats(() => serve(event, context));
};
