import type { ConcordConfig } from '../../core/config';
import { jsonResponse } from '../responses';
import type { RouteHandler } from './items';

// One document per configuration, built on first use; the code that builds it
// (a module of large constant tables) is loaded then too, not at the start.
const documents = new WeakMap<ConcordConfig, Record<string, unknown>>();

export const getOpenApi: RouteHandler = async (_event, { config }) => {
  let document = documents.get(config);
  if (!document) {
    const { buildOpenApi } = await import('../openapi');
    document = buildOpenApi(config);
    documents.set(config, document);
  }
  return jsonResponse(200, document, { 'cache-control': 'public, max-age=300' });
};
