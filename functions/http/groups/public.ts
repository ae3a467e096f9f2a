/**
 * The handlers of the `public` function group: the API description and the
 * docs, readable without a key. API Gateway's `$default` route reaches this
 * function too; the application answers it with 404 or 405.
 */
import { getDocs, getDocsScript } from '../handlers/docs';
import { getOpenApi } from '../handlers/openapi';
import type { RouteHandlers, ServiceMakers } from '../route-app';

export const publicHandlers = {
  'openapi.get': getOpenApi,
  'docs.page': getDocs,
  'docs.script': getDocsScript,
} satisfies RouteHandlers;

/** The public routes read no tenant data: no domain services. */
export const publicServices: ServiceMakers = {};
