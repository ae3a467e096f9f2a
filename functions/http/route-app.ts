/**
 * The HTTP application over the route handlers it is given: one middy
 * handler with admission, CORS, HEAD and the error mapper in front of them.
 * Each Lambda function gets only its group's handlers (functions/http/groups),
 * so its bundle carries only the code of the routes API Gateway sends it; the
 * local server and the tests give it every handler (app.ts).
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
import type { RequestScope, RouteHandler } from './handlers/items';
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

/** The handlers an application serves, by the route table's handler names. */
export type RouteHandlers = Partial<Record<HandlerName, RouteHandler>>;

export interface RouteAppDependencies extends AppDependencies {
  readonly handlers: RouteHandlers;
}

/** No tenant's data lives here: what a public route would see if it asked. */
const PUBLIC_TENANT = '-';

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

/** Makes a value on first use and keeps it. */
const once = <T>(make: () => T): (() => T) => {
  let made: { value: T } | undefined;
  return () => {
    made ??= { value: make() };
    return made.value;
  };
};

export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** Builds the handler for the routes of `handlers` over the given configuration and store. */
export const createRouteApp = ({
  config,
  store,
  keys,
  corsOrigins,
  observer,
  access: accessOptions,
  subscriptions: subscriptionStore,
  webhooks = { localMode: false },
  handlers,
}: RouteAppDependencies): HttpHandler => {
  // Made now: it checks the collections (a schema that does not compile stops the start).
  const items = createItemService({ config, store });
  // Made on the first request that needs them: most functions serve none of their routes.
  const leases = once(() => createLeaseService({ store, collection: items.assertCollection }));
  const transactions = once(() => createTransactionService({ config, store }));
  const staged = once(() =>
    createStagedTransactionService({ transactions: transactions(), store }),
  );
  const subscriptions = once(() =>
    subscriptionStore
      ? createSubscriptionService({ store: subscriptionStore, policy: webhooks })
      : noSubscriptions,
  );
  const scopeFor = (tenant: string): RequestScope => ({
    config,
    items,
    tenant,
    get leases() {
      return leases();
    },
    get transactions() {
      return transactions();
    },
    get staged() {
      return staged();
    },
    get subscriptions() {
      return subscriptions();
    },
  });
  const access = createAccessService({ ...accessOptions, keys });
  const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(observe(currentRequestStats, observer))
    .use(cors(corsOrigins))
    .use(headWithoutBody())
    .use(admission(access))
    .use(problems(config.profile))
    .handler(async (event) => {
      const route = routeFor(event.routeKey);
      if (!route) throw unmatched(event);
      const serve = handlers[route.handler];
      // API Gateway sends a function only its group's routes: anything else is a deployment fault.
      if (!serve) throw new Error(`${route.handler} is not served by this function`);
      const principal = principalOf(event);
      // Public routes never read tenant data; a route that does always has a principal.
      return serve(event, scopeFor(principal?.tenant ?? PUBLIC_TENANT));
    });
  const serve = handler as unknown as HttpHandler;
  // Every database call of the request adds to its own stats.
  return (event, context) => withRequestStats(() => serve(event, context));
};
