/**
 * Authentication, rate limiting and scopes for every route that needs an
 * API key, in each function rather than in an API Gateway authorizer: the
 * handler needs the result (tenant, rate state), an authorizer would be a
 * second invocation, and the function's own cache of the key is bounded by
 * the admission's freshness, which an authorizer's result cache is not.
 */
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { AccessService, Admission } from '../core/access';
import type { Principal, Scope } from '../core/api-keys';
import { rateHeaders } from './rate-headers';
import { type Route, routeFor } from './routes';

type Middleware = middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;

/** GET and HEAD need `read`; everything that changes state needs `write`. */
export const scopeOf = (route: Pick<Route, 'method'>): Scope =>
  route.method === 'GET' || route.method === 'HEAD' ? 'read' : 'write';

/** Keyed by the event object itself: nothing a client sends can set it. */
const admissions = new WeakMap<APIGatewayProxyEventV2, Admission>();

/** How a request was admitted (principal, rate state, round trips); undefined on public routes. */
export const admissionOf = (event: APIGatewayProxyEventV2): Admission | undefined =>
  admissions.get(event);

/** The principal an admitted request acts for; undefined on public routes. */
export const principalOf = (event: APIGatewayProxyEventV2): Principal | undefined =>
  admissionOf(event)?.principal;

export const admission = (access: AccessService): Middleware => {
  const finish = async (
    request: middy.Request<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>,
  ) => {
    const admitted = admissions.get(request.event);
    // A claim for later requests ran alongside this one; it ends before this request does.
    if (admitted?.pending) await admitted.pending;
    if (!admitted || !request.response) return;
    request.response = {
      ...request.response,
      headers: { ...rateHeaders(admitted.rate), ...request.response.headers },
    };
  };
  return {
    before: async (request) => {
      const route = routeFor(request.event.routeKey);
      if (!route?.auth) return;
      const admitted = await access.admit(request.event.headers?.authorization, scopeOf(route));
      admissions.set(request.event, admitted);
    },
    after: finish,
    onError: finish,
  };
};
