/**
 * Item route handlers: read the request, call one domain function, shape
 * the answer. They choose no error status; the error mapper does.
 */

import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import type { ConcordConfig } from '../../core/config';
import type { Patch } from '../../core/patch';
import {
  documentTarget,
  JSON_PATCH_TYPE,
  JSON_TYPE,
  jsonBody,
  MERGE_PATCH_TYPE,
  pathParam,
  preconditionsOf,
  queryParam,
  refusePreconditions,
  writeOptionsOf,
} from '../request';
import {
  documentPath,
  documentResponse,
  jsonResponse,
  noContent,
  notModified,
  type Response,
  replayHeaders,
  reportHeaders,
} from '../responses';
import type { Services } from '../services';

export interface RequestScope extends Services {
  /** The configuration the API serves (collections, profile). */
  readonly config: ConcordConfig;
  readonly tenant: string;
}

export type RouteHandler = (
  event: APIGatewayProxyEventV2,
  scope: RequestScope,
) => Promise<Response>;

export const createItem: RouteHandler = async (event, { items, tenant }) => {
  const collection = pathParam(event, 'collection');
  refusePreconditions(event, 'POST to a collection');
  const { value } = jsonBody(event, [JSON_TYPE]);
  const { item, replayed } = await items.create(tenant, collection, value, writeOptionsOf(event));
  return documentResponse(201, item, {
    location: documentPath(collection, item.id),
    ...replayHeaders(replayed),
  });
};

export const replaceItem: RouteHandler = async (event, { items, tenant }) => {
  const { collection, id } = documentTarget(event);
  const preconditions = preconditionsOf(event);
  const { value } = jsonBody(event, [JSON_TYPE]);
  const result = await items.replace(
    tenant,
    collection,
    id,
    value,
    preconditions,
    writeOptionsOf(event),
  );
  const replay = { ...replayHeaders(result.replayed), ...reportHeaders(result.report) };
  return result.created
    ? documentResponse(201, result.item, { location: documentPath(collection, id), ...replay })
    : documentResponse(200, result.item, replay);
};

export const getItem: RouteHandler = async (event, { reads, tenant }) => {
  const { collection, id } = documentTarget(event);
  const result = await reads.read(tenant, collection, id, preconditionsOf(event));
  return result.status === 'not-modified'
    ? notModified(result.item)
    : documentResponse(200, result.item);
};

export const patchItem: RouteHandler = async (event, { items, tenant }) => {
  const { collection, id } = documentTarget(event);
  const preconditions = preconditionsOf(event);
  const { mediaType, value } = jsonBody(event, [MERGE_PATCH_TYPE, JSON_PATCH_TYPE]);
  const patch: Patch = { format: mediaType === JSON_PATCH_TYPE ? 'json' : 'merge', value };
  const { item, replayed, report } = await items.patch(
    tenant,
    collection,
    id,
    patch,
    preconditions,
    writeOptionsOf(event),
  );
  return documentResponse(200, item, { ...replayHeaders(replayed), ...reportHeaders(report) });
};

export const deleteItem: RouteHandler = async (event, { items, tenant }) => {
  const { collection, id } = documentTarget(event);
  const { replayed, report } = await items.remove(
    tenant,
    collection,
    id,
    preconditionsOf(event),
    writeOptionsOf(event),
  );
  return noContent({ ...replayHeaders(replayed), ...reportHeaders(report) });
};

export const listItems: RouteHandler = async (event, { reads, tenant }) => {
  const collection = pathParam(event, 'collection');
  refusePreconditions(event, 'a collection listing');
  const limit = queryParam(event, 'limit');
  const cursor = queryParam(event, 'cursor');
  const page = await reads.list(tenant, collection, {
    ...(limit !== undefined ? { limit: /^\d{1,4}$/.test(limit) ? Number(limit) : Number.NaN } : {}),
    ...(cursor !== undefined ? { cursor } : {}),
  });
  return jsonResponse(200, {
    items: page.items.map((item) => item.document),
    nextCursor: page.cursor ?? null,
  });
};
