import { buildOpenApi } from '../openapi';
import { jsonResponse } from '../responses';
import type { RouteHandler } from './items';

/** Built on the first request for it: most instances never serve it, and a cold start need not wait. */
let document: ReturnType<typeof buildOpenApi> | undefined;

export const getOpenApi: RouteHandler = async () => {
  document ??= buildOpenApi();
  return jsonResponse(200, document, { 'cache-control': 'public, max-age=300' });
};
