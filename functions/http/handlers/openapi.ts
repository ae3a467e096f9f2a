import { buildOpenApi } from '../openapi';
import { jsonResponse } from '../responses';
import type { RouteHandler } from './items';

const document = buildOpenApi();

export const getOpenApi: RouteHandler = async () =>
  jsonResponse(200, document, { 'cache-control': 'public, max-age=300' });
