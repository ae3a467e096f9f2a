/**
 * The one route table. Plain data with no handler imports, so the CDK app can
 * read it without loading runtime code. CDK makes one API Gateway route per
 * entry, the local server matches requests against the same entries, and the
 * OpenAPI document is generated from it.
 */

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

/**
 * Functions are grouped by the table access they need (least privilege per
 * group) and by the code their routes load: reads; document writes; leases,
 * transactions and webhook subscriptions (`coordinate`); and the public API
 * description.
 */
export type FunctionGroup = 'read' | 'write' | 'coordinate' | 'public';

export interface Route {
  readonly method: HttpMethod;
  /** Same `{param}` syntax as API Gateway route keys. */
  readonly path: string;
  /** Key into the handler map of `app.ts`. */
  readonly handler: HandlerName;
  readonly group: FunctionGroup;
  /** Whether the route needs an API key (everything but the API description). */
  readonly auth: boolean;
  readonly summary: string;
}

export type HandlerName =
  | 'items.create'
  | 'items.list'
  | 'items.get'
  | 'items.replace'
  | 'items.patch'
  | 'items.delete'
  | 'locks.acquire'
  | 'locks.renew'
  | 'locks.release'
  | 'versions.list'
  | 'versions.get'
  | 'versions.restore'
  | 'transactions.run'
  | 'transactions.begin'
  | 'transactions.get'
  | 'transactions.add'
  | 'transactions.commit'
  | 'transactions.abort'
  | 'subscriptions.create'
  | 'subscriptions.list'
  | 'subscriptions.delete'
  | 'openapi.get'
  | 'docs.page'
  | 'docs.script'
  | 'conflicts.list'
  | 'conflicts.get'
  | 'conflicts.resolve';

export const routes: readonly Route[] = [
  {
    method: 'GET',
    path: '/v1/openapi.json',
    handler: 'openapi.get',
    group: 'public',
    auth: false,
    summary: 'The OpenAPI 3.1 description of this API',
  },
  {
    method: 'HEAD',
    path: '/v1/openapi.json',
    handler: 'openapi.get',
    group: 'public',
    auth: false,
    summary: 'Headers of the OpenAPI description',
  },
  {
    method: 'GET',
    path: '/docs',
    handler: 'docs.page',
    group: 'public',
    auth: false,
    summary:
      'The human documentation: a guide to conflicts and problem types, and the API reference',
  },
  {
    method: 'HEAD',
    path: '/docs',
    handler: 'docs.page',
    group: 'public',
    auth: false,
    summary: 'Headers of the documentation page',
  },
  {
    method: 'GET',
    path: '/docs/redoc.standalone.js',
    handler: 'docs.script',
    group: 'public',
    auth: false,
    summary: 'The Redoc script that renders the API reference on the documentation page',
  },
  {
    method: 'HEAD',
    path: '/docs/redoc.standalone.js',
    handler: 'docs.script',
    group: 'public',
    auth: false,
    summary: 'Headers of the Redoc script',
  },
  {
    method: 'POST',
    path: '/v1/{collection}',
    handler: 'items.create',
    group: 'write',
    auth: true,
    summary: 'Create a document if its id is absent',
  },
  {
    method: 'GET',
    path: '/v1/{collection}',
    handler: 'items.list',
    group: 'read',
    auth: true,
    summary: 'List documents with cursor pagination',
  },
  {
    method: 'HEAD',
    path: '/v1/{collection}',
    handler: 'items.list',
    group: 'read',
    auth: true,
    summary: 'Headers of the list response',
  },
  {
    method: 'GET',
    path: '/v1/{collection}/{id}',
    handler: 'items.get',
    group: 'read',
    auth: true,
    summary: 'Read a document with its ETag',
  },
  {
    method: 'HEAD',
    path: '/v1/{collection}/{id}',
    handler: 'items.get',
    group: 'read',
    auth: true,
    summary: 'Headers of a document read',
  },
  {
    method: 'PUT',
    path: '/v1/{collection}/{id}',
    handler: 'items.replace',
    group: 'write',
    auth: true,
    summary: 'Create (If-None-Match: *) or replace (If-Match) a document',
  },
  {
    method: 'PATCH',
    path: '/v1/{collection}/{id}',
    handler: 'items.patch',
    group: 'write',
    auth: true,
    summary: 'Apply a JSON merge patch or JSON patch to the version named by If-Match',
  },
  {
    method: 'DELETE',
    path: '/v1/{collection}/{id}',
    handler: 'items.delete',
    group: 'write',
    auth: true,
    summary: 'Delete the version named by If-Match',
  },
  {
    method: 'POST',
    path: '/v1/{collection}/{id}/lock',
    handler: 'locks.acquire',
    group: 'coordinate',
    auth: true,
    summary: 'Acquire a lease on a document (409 lock-held while another client holds one)',
  },
  {
    method: 'PUT',
    path: '/v1/{collection}/{id}/lock',
    handler: 'locks.renew',
    group: 'coordinate',
    auth: true,
    summary: 'Renew the lease the Lock-Token names',
  },
  {
    method: 'DELETE',
    path: '/v1/{collection}/{id}/lock',
    handler: 'locks.release',
    group: 'coordinate',
    auth: true,
    summary: 'Release the lease the Lock-Token names',
  },
  {
    method: 'GET',
    path: '/v1/{collection}/{id}/versions',
    handler: 'versions.list',
    group: 'read',
    auth: true,
    summary: "A document's version history, newest first, with cursor pagination",
  },
  {
    method: 'HEAD',
    path: '/v1/{collection}/{id}/versions',
    handler: 'versions.list',
    group: 'read',
    auth: true,
    summary: 'Headers of the version history',
  },
  {
    method: 'GET',
    path: '/v1/{collection}/{id}/versions/{version}',
    handler: 'versions.get',
    group: 'read',
    auth: true,
    summary: "One version's document, with that version's ETag",
  },
  {
    method: 'HEAD',
    path: '/v1/{collection}/{id}/versions/{version}',
    handler: 'versions.get',
    group: 'read',
    auth: true,
    summary: 'Headers of one version',
  },
  {
    method: 'POST',
    path: '/v1/{collection}/{id}/versions/{version}/restore',
    handler: 'versions.restore',
    group: 'write',
    auth: true,
    summary: "Write a version's content as a new version (If-Match, or If-None-Match: * to revive)",
  },
  {
    method: 'POST',
    path: '/v1/transactions',
    handler: 'transactions.run',
    group: 'coordinate',
    auth: true,
    summary: 'Commit creates, replaces, patches, deletes and checks all together or not at all',
  },
  {
    method: 'POST',
    path: '/v1/transactions/staged',
    handler: 'transactions.begin',
    group: 'coordinate',
    auth: true,
    summary: 'Begin a staged transaction that takes operations until it expires',
  },
  {
    method: 'GET',
    path: '/v1/transactions/staged/{txId}',
    handler: 'transactions.get',
    group: 'read',
    auth: true,
    summary: "A staged transaction's state, operations and (once committed) results",
  },
  {
    method: 'HEAD',
    path: '/v1/transactions/staged/{txId}',
    handler: 'transactions.get',
    group: 'read',
    auth: true,
    summary: 'Headers of a staged transaction',
  },
  {
    method: 'POST',
    path: '/v1/transactions/staged/{txId}/operations',
    handler: 'transactions.add',
    group: 'coordinate',
    auth: true,
    summary: 'Add one operation to a staged transaction (checked as it is added)',
  },
  {
    method: 'POST',
    path: '/v1/transactions/staged/{txId}/commit',
    handler: 'transactions.commit',
    group: 'coordinate',
    auth: true,
    summary: 'Commit a staged transaction, every precondition checked again (repeatable)',
  },
  {
    method: 'DELETE',
    path: '/v1/transactions/staged/{txId}',
    handler: 'transactions.abort',
    group: 'coordinate',
    auth: true,
    summary: 'Abort a staged transaction',
  },
  {
    method: 'POST',
    path: '/v1/subscriptions',
    handler: 'subscriptions.create',
    group: 'coordinate',
    auth: true,
    summary: 'Register a webhook URL for event types; the answer shows the signing secret once',
  },
  {
    method: 'GET',
    path: '/v1/subscriptions',
    handler: 'subscriptions.list',
    group: 'read',
    auth: true,
    summary: "The tenant's webhook subscriptions (without secrets)",
  },
  {
    method: 'HEAD',
    path: '/v1/subscriptions',
    handler: 'subscriptions.list',
    group: 'read',
    auth: true,
    summary: 'Headers of the subscription list',
  },
  {
    method: 'DELETE',
    path: '/v1/subscriptions/{id}',
    handler: 'subscriptions.delete',
    group: 'coordinate',
    auth: true,
    summary: 'Remove a webhook subscription',
  },
  {
    method: 'GET',
    path: '/v1/conflicts',
    handler: 'conflicts.list',
    group: 'read',
    auth: true,
    summary:
      'Recorded version conflicts, oldest first (filters: collection, documentId, status, since)',
  },
  {
    method: 'HEAD',
    path: '/v1/conflicts',
    handler: 'conflicts.list',
    group: 'read',
    auth: true,
    summary: 'Headers of the conflict list',
  },
  {
    method: 'GET',
    path: '/v1/conflicts/{conflictId}',
    handler: 'conflicts.get',
    group: 'read',
    auth: true,
    summary: 'One recorded conflict: the refused proposal, the clashing paths, its resolution',
  },
  {
    method: 'HEAD',
    path: '/v1/conflicts/{conflictId}',
    handler: 'conflicts.get',
    group: 'read',
    auth: true,
    summary: 'Headers of one conflict',
  },
  {
    method: 'POST',
    path: '/v1/conflicts/{conflictId}/resolution',
    handler: 'conflicts.resolve',
    group: 'write',
    auth: true,
    summary: 'Resolve a conflict: ours, theirs or merged, checked against the current version',
  },
];

/** The API Gateway route key of a route, e.g. `GET /v1/{collection}`. */
export const routeKey = (route: Pick<Route, 'method' | 'path'>): string =>
  `${route.method} ${route.path}`;

const byRouteKey = new Map(routes.map((route) => [routeKey(route), route]));

/** The route an API Gateway route key names; undefined for `$default` and unknown keys. */
export const routeFor = (key: string): Route | undefined => byRouteKey.get(key);
