/** Version history handlers: list a document's versions, read one, restore one. */
import { parseVersion } from '../../core/history';
import { documentTarget, pathParam, preconditionsOf, queryParam, writeOptionsOf } from '../request';
import { documentPath, documentResponse, jsonResponse, replayHeaders } from '../responses';
import type { RouteHandler } from './items';

export const listVersions: RouteHandler = async (event, { reads, tenant }) => {
  const { collection, id } = documentTarget(event);
  const limit = queryParam(event, 'limit');
  const cursor = queryParam(event, 'cursor');
  const page = await reads.listVersions(tenant, collection, id, {
    ...(limit !== undefined ? { limit: /^\d{1,4}$/.test(limit) ? Number(limit) : Number.NaN } : {}),
    ...(cursor !== undefined ? { cursor } : {}),
  });
  return jsonResponse(200, { items: page.versions, nextCursor: page.cursor ?? null });
};

export const getVersion: RouteHandler = async (event, { reads, tenant }) => {
  const { collection, id } = documentTarget(event);
  const version = parseVersion(pathParam(event, 'version'));
  return documentResponse(200, await reads.readVersion(tenant, collection, id, version));
};

export const restoreVersion: RouteHandler = async (event, { items, tenant }) => {
  const { collection, id } = documentTarget(event);
  const version = parseVersion(pathParam(event, 'version'));
  const result = await items.restore(
    tenant,
    collection,
    id,
    version,
    preconditionsOf(event),
    writeOptionsOf(event),
  );
  const replay = replayHeaders(result.replayed);
  return result.created
    ? documentResponse(201, result.item, { location: documentPath(collection, id), ...replay })
    : documentResponse(200, result.item, replay);
};
