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
import type { ConcordConfig } from '../core/config';
import { NotFoundError } from '../core/errors';
import { createItemService } from '../core/items';
import type { ItemStore } from '../core/items-model';
import { DEFAULT_TENANT } from '../store/keys';
import {
  createItem,
  deleteItem,
  getItem,
  listItems,
  patchItem,
  type RouteHandler,
  replaceItem,
} from './handlers/items';
import { getOpenApi } from './handlers/openapi';
import { cors, headWithoutBody, problems } from './middleware';
import { type HandlerName, routeKey, routes } from './routes';

export interface AppDependencies {
  readonly config: ConcordConfig;
  readonly store: ItemStore;
}

const HANDLERS: Record<HandlerName, RouteHandler> = {
  'items.create': createItem,
  'items.list': listItems,
  'items.get': getItem,
  'items.replace': replaceItem,
  'items.patch': patchItem,
  'items.delete': deleteItem,
  'openapi.get': getOpenApi,
};

export type HttpHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

/** Builds the handler for all routes over the given configuration and store. */
export const createHttpHandler = ({ config, store }: AppDependencies): HttpHandler => {
  const items = createItemService({ config, store });
  const byRouteKey = new Map(routes.map((route) => [routeKey(route), HANDLERS[route.handler]]));
  const handler = middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(cors())
    .use(headWithoutBody())
    .use(problems(config.profile))
    .handler(async (event) => {
      const route = byRouteKey.get(event.routeKey);
      if (!route) throw new NotFoundError(`no route for ${event.routeKey}`);
      return route(event, { items, tenant: DEFAULT_TENANT });
    });
  return handler as unknown as HttpHandler;
};
