/** Conflict inbox handlers: list recorded conflicts, read one, resolve one. */
import {
  JSON_TYPE,
  jsonBody,
  pathParam,
  preconditionsOf,
  queryParam,
  refusePreconditions,
  writeOptionsOf,
} from '../request';
import { jsonResponse } from '../responses';
import type { RouteHandler } from './items';

export const listConflicts: RouteHandler = async (event, { reads, tenant }) => {
  refusePreconditions(event, 'the conflict list');
  const limit = queryParam(event, 'limit');
  const filters = {
    cursor: queryParam(event, 'cursor'),
    collection: queryParam(event, 'collection'),
    documentId: queryParam(event, 'documentId'),
    status: queryParam(event, 'status'),
    since: queryParam(event, 'since'),
  };
  const page = await reads.listConflicts(tenant, {
    ...(limit !== undefined ? { limit: /^\d{1,4}$/.test(limit) ? Number(limit) : Number.NaN } : {}),
    ...Object.fromEntries(Object.entries(filters).filter(([, v]) => v !== undefined)),
  });
  return jsonResponse(200, { items: page.conflicts, nextCursor: page.cursor ?? null });
};

export const getConflict: RouteHandler = async (event, { reads, tenant }) => {
  refusePreconditions(event, 'a conflict');
  return jsonResponse(200, await reads.getConflict(tenant, pathParam(event, 'conflictId')));
};

export const resolveConflict: RouteHandler = async (event, { items, tenant }) => {
  const { value } = jsonBody(event, [JSON_TYPE]);
  const options = writeOptionsOf(event);
  const { conflict, etag } = await items.resolveConflict(
    tenant,
    pathParam(event, 'conflictId'),
    value,
    preconditionsOf(event),
    options,
  );
  return jsonResponse(200, conflict, { etag });
};
