/**
 * Each function group's handler map serves exactly the routes the route
 * table gives that group, with the services those routes use: API Gateway
 * sends a function only those, so a handler or service missing from its
 * group would answer 500 on AWS alone.
 */
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/core/config';
import { createApiKey } from '../../../functions/core/key-admin';
import { ALL_HANDLERS } from '../../../functions/http/app';
import { coordinateHandlers, coordinateServices } from '../../../functions/http/groups/coordinate';
import { publicHandlers, publicServices } from '../../../functions/http/groups/public';
import { readHandlers, readServices } from '../../../functions/http/groups/read';
import { writeHandlers, writeServices } from '../../../functions/http/groups/write';
import { createRouteApp, type ServiceMakers } from '../../../functions/http/route-app';
import { matchRoute } from '../../../functions/http/route-match';
import { type FunctionGroup, routes } from '../../../functions/http/routes';
import { toApiGatewayEvent } from '../../../local/api-gateway-event';
import { createMemoryApiKeyStore } from '../../helpers/memory-api-key-store';
import { createMemoryItemStore } from '../../helpers/memory-item-store';

const GROUP_SERVICES: Record<FunctionGroup, ServiceMakers> = {
  read: readServices,
  write: writeServices,
  coordinate: coordinateServices,
  public: publicServices,
};

/** A path of the route with each `{param}` filled in. */
const pathOf = (template: string): string =>
  template.replace(/\{(\w+)\}/g, (_, name: string) =>
    name === 'collection' ? 'items' : name === 'version' ? '1' : `x${name}`,
  );

const GROUP_HANDLERS: Record<FunctionGroup, object> = {
  read: readHandlers,
  write: writeHandlers,
  coordinate: coordinateHandlers,
  public: publicHandlers,
};

describe('the function groups', () => {
  it.each(Object.keys(GROUP_HANDLERS) as FunctionGroup[])(
    'give the %s function a handler for each of its routes and for no other',
    (group) => {
      const expected = new Set(routes.filter((r) => r.group === group).map((r) => r.handler));
      expect(new Set(Object.keys(GROUP_HANDLERS[group]))).toEqual(expected);
    },
  );

  it.each(Object.keys(GROUP_HANDLERS) as FunctionGroup[])(
    'give the %s function the services of its routes: none answers 5xx with only its group',
    async (group) => {
      const keys = createMemoryApiKeyStore();
      const { key } = await createApiKey(keys, {
        tenant: 'acme',
        scopes: ['read', 'write'],
        quota: 1_000_000,
      });
      const handler = createRouteApp({
        config: parseConfig({ collections: [{ name: 'items' }] }),
        store: createMemoryItemStore(),
        keys,
        handlers: GROUP_HANDLERS[group],
        services: GROUP_SERVICES[group],
      });
      for (const route of routes.filter((r) => r.group === group)) {
        const path = pathOf(route.path);
        const match = matchRoute(route.method, path);
        if (match.kind !== 'matched') throw new Error(`${path} matches no route`);
        const event = toApiGatewayEvent(
          {
            method: route.method,
            url: path,
            headers: {
              authorization: [`Bearer ${key}`],
              'content-type': ['application/json'],
              'if-match': ['"1"'],
            },
            body: Buffer.from(route.method === 'GET' || route.method === 'DELETE' ? '' : '{}'),
            sourceIp: '127.0.0.1',
          },
          match,
          'group-test',
        );
        expect(match.routeKey).toBe(`${route.method} ${route.path}`);
        const answer = await handler(event, {} as Context);
        expect(answer.statusCode, `${route.method} ${route.path}`).toBeLessThan(500);
      }
    },
  );

  it('together serve every route of the table', () => {
    expect(new Set(Object.keys(ALL_HANDLERS))).toEqual(new Set(routes.map((r) => r.handler)));
  });
});
