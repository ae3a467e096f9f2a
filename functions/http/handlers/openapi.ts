import type { ConcordConfig } from '../../core/config';
import { buildOpenApi } from '../openapi';
import { jsonResponse } from '../responses';
import type { RouteHandler } from './items';

// One document per configuration, built on first use.
const documents = new WeakMap<ConcordConfig, Record<string, unknown>>();

export const getOpenApi: RouteHandler = async (_event, { config }) => {
  let document = documents.get(config);
  if (!document) {
    document = buildOpenApi(config);
    documents.set(config, document);
  }
  return jsonResponse(200, document, { 'cache-control': 'public, max-age=300' });
};
