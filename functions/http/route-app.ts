/**
 * The HTTP application over the route handlers and service makers it is
 * given: one middy handler with admission, CORS, HEAD and the error mapper
 * in front of them. Each Lambda function gets only its group's handlers and
 * services (functions/http/groups), so its bundle carries only the code of
 * the routes API Gateway sends it; the local server and the tests give it
 * every one (app.ts).
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
import type { ItemStore } from '../core/items-model';
import { currentRequestStats, withRequestStats } from '../core/request-stats';
import type { SubscriptionStore } from '../core/subscriptions';
import type { WebhookPolicy } from '../core/webhook-urls';
import { admission, principalOf } from './admission';
import type { RequestScope, RouteHandler } from './handlers/items';
import { cors, headWithoutBody, problems } from './middleware';
import { observe, type RequestObserver } from './observability';
import { matchRoute } from './route-match';
import { type HandlerName, routeFor } from './routes';
import { makeServices, type ServiceMakers } from './services';

export type { ServiceMakers } from './services';

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
  readonly services: ServiceMakers;
}

/** No tenant's data lives here: what a public route would see if it asked. */
const PUBLIC_TENANT = '-';

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
  services: makers,
}: RouteAppDependencies): HttpHandler => {
  const services = makeServices(makers, {
    config,
    store,
    ...(subscriptionStore ? { subscriptionStore } : {}),
    webhooks,
  });
  const scopeFor = (tenant: string): RequestScope =>
    Object.assign(Object.create(services), { config, tenant });
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
