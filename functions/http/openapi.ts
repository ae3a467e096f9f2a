/**
 * The OpenAPI 3.1 description, generated from the route table so that it
 * can never list a route the API lacks, or miss one it has. Every operation
 * of a handler is described once here; a test checks that every status the
 * integration tests see is documented for its route.
 */
import type { ConcordConfig } from '../core/config';
import {
  COLLECTION_PATTERN,
  DEFAULT_PAGE_SIZE,
  ID_PATTERN,
  MAX_PAGE_SIZE,
  MAX_PATCH_OPERATIONS,
} from '../core/limits';
import { EVENT_TYPES } from '../core/webhook-events';
import {
  HEADERS,
  headerRef,
  type Json,
  problemResponse,
  RATE_HEADERS,
  ref,
  SCHEMAS,
} from './openapi-schemas';
import { PROBLEM_TYPE_BASE } from './problem-types';
import { JSON_PATCH_TYPE, JSON_TYPE, MERGE_PATCH_TYPE } from './request';
import { type HandlerName, type Route, routes } from './routes';

const header = (name: string, description: string, schema: Json = { type: 'string' }) => ({
  name,
  in: 'header',
  required: false,
  description,
  schema,
});
const ifMatch = header(
  'If-Match',
  'Strong entity tags (or *) the current version must match; a mismatch is 409 version-mismatch',
);
const ifNoneMatch = header(
  'If-None-Match',
  '* to create only (409 already-exists when taken); on reads, entity tags for a 304',
);
const idempotencyKey = header(
  'Idempotency-Key',
  'Retry-safe write: a repeat with the same key answers with the first result (Idempotent-Replayed: true)',
  { type: 'string', minLength: 1, maxLength: 255 },
);
const lockToken = header(
  'Lock-Token',
  'The token of the lease, as acquire answered it; lets a write through a held lease',
);
const pageParameters = [
  {
    name: 'limit',
    in: 'query',
    description: `Items per page (default ${DEFAULT_PAGE_SIZE})`,
    schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE },
  },
  {
    name: 'cursor',
    in: 'query',
    description: 'The `nextCursor` of the previous page',
    schema: { type: 'string' },
  },
];

const PATH_PARAMETERS: Record<string, Json> = {
  collection: {
    description: 'A collection declared in the configuration',
    schema: { type: 'string', pattern: COLLECTION_PATTERN.source },
  },
  id: { description: 'The document id', schema: { type: 'string', pattern: ID_PATTERN.source } },
  version: { description: 'A version number', schema: { type: 'integer', minimum: 1 } },
  txId: { description: 'The staged transaction id', schema: { type: 'string' } },
  conflictId: { description: 'The conflict id (a ULID)', schema: { type: 'string' } },
};

const json = (schema: Json) => ({ [JSON_TYPE]: { schema } });

/** A success answer; `validators` adds ETag and Last-Modified, `rate` the RateLimit headers. */
const ok = (
  description: string,
  schema: Json | undefined,
  extra: Record<string, Json> = {},
  rate = true,
): Json => ({
  description,
  headers: { ...(rate ? RATE_HEADERS : {}), ...extra },
  ...(schema ? { content: json(schema) } : {}),
});
const validators = { ETag: headerRef('ETag'), 'Last-Modified': headerRef('LastModified') };
const replayed = { 'Idempotent-Replayed': headerRef('IdempotentReplayed') };
const documentAnswer = (description: string, extra: Record<string, Json> = {}) =>
  ok(description, ref('Document'), { ...validators, ...extra });
const created = (description: string) =>
  documentAnswer(description, { Location: headerRef('Location'), ...replayed });

/** A write a conflict policy may have merged or applied over a newer version. */
const policyWrite = (description: string) =>
  documentAnswer(description, {
    ...replayed,
    'Concord-Write-Outcome': headerRef('WriteOutcome'),
    'Concord-Merge-Rules': headerRef('MergeRules'),
  });

const problems = (...statuses: number[]): Json =>
  Object.fromEntries(statuses.map((status) => [String(status), problemResponse(status)]));

/** Every admitted route can answer these. */
const COMMON = [400, 401, 403, 404, 405, 429, 500, 503];
const WRITE = [...COMMON, 409, 412, 413, 415, 422, 428];
const PUBLIC = [405, 500];

const documentBody = { required: true, content: json(ref('NewDocument')) };
const leaseBody = { required: false, content: json(ref('LeaseRequest')) };
const grant = ok('The lease', ref('Lease'), { 'Lock-Token': headerRef('LockToken'), ...replayed });

type Spec = { tag: string; parameters?: Json[]; requestBody?: Json; responses: Json };

const TRANSACTIONS: Record<Extract<HandlerName, `transactions.${string}`>, Spec> = {
  'transactions.run': {
    tag: 'Transactions',
    parameters: [idempotencyKey],
    requestBody: { required: true, content: json(ref('TransactionRequest')) },
    responses: {
      '200': ok(
        "Committed: each operation's result, in order",
        ref('TransactionResults'),
        replayed,
      ),
      ...problems(...WRITE),
    },
  },
  'transactions.begin': {
    tag: 'Transactions',
    requestBody: leaseBody,
    responses: {
      '201': ok('Begun', ref('StagedTransaction'), { Location: headerRef('Location') }),
      ...problems(...COMMON, 413, 415, 422),
    },
  },
  'transactions.get': {
    tag: 'Transactions',
    responses: {
      '200': ok('The staged transaction', ref('StagedTransaction')),
      ...problems(...COMMON),
    },
  },
  'transactions.add': {
    tag: 'Transactions',
    requestBody: { required: true, content: json(ref('Operation')) },
    responses: {
      '200': ok('Added: its index and the operation as stored', ref('StagedOperation')),
      ...problems(...COMMON, 409, 410, 413, 415, 422),
    },
  },
  'transactions.commit': {
    tag: 'Transactions',
    responses: {
      '200': ok("Committed: each operation's result", ref('TransactionResults')),
      ...problems(...COMMON, 409, 410, 412, 413, 422, 428),
    },
  },
  'transactions.abort': {
    tag: 'Transactions',
    responses: {
      '204': ok('Aborted (or aborted already)', undefined),
      ...problems(...COMMON, 409, 410),
    },
  },
};

const query = (name: string, description: string, schema: Json = { type: 'string' }) => ({
  name,
  in: 'query',
  description,
  schema,
});

const CONFLICTS: Record<Extract<HandlerName, `conflicts.${string}`>, Spec> = {
  'conflicts.list': {
    tag: 'Conflicts',
    parameters: [
      ...pageParameters,
      query('collection', 'Only conflicts of this collection'),
      query('documentId', 'Only conflicts of this document'),
      query('status', 'open or resolved', { type: 'string', enum: ['open', 'resolved'] }),
      query('since', 'Only conflicts recorded at or after this time', {
        type: 'string',
        format: 'date-time',
      }),
    ],
    responses: {
      '200': ok('A page of conflicts, oldest first', ref('ConflictPage')),
      ...problems(...COMMON),
    },
  },
  'conflicts.get': {
    tag: 'Conflicts',
    responses: { '200': ok('The conflict', ref('ConflictRecord')), ...problems(...COMMON) },
  },
  'conflicts.resolve': {
    tag: 'Conflicts',
    parameters: [
      header('If-Match', "The document's version to resolve against; default: the recorded one"),
      idempotencyKey,
    ],
    requestBody: { required: true, content: json(ref('Resolution')) },
    responses: {
      '200': ok('Resolved; ETag names the version the document is at', ref('ConflictRecord'), {
        ETag: headerRef('ETag'),
        ...replayed,
      }),
      ...problems(...WRITE),
    },
  },
};

const CLASH: Json = {
  type: 'object',
  required: ['path'],
  properties: {
    path: { type: 'string', description: 'JSON Pointer' },
    base: { description: 'The value in the version the request named' },
    theirs: { description: 'The value in the current version' },
    ours: { description: 'The value the request made' },
  },
};

const CONFLICT_SCHEMAS: Record<string, Json> = {
  Clash: CLASH,
  ConflictRecord: {
    type: 'object',
    description: 'A refused version conflict, kept for resolution',
    properties: {
      id: { type: 'string' },
      collection: { type: 'string' },
      documentId: { type: 'string' },
      status: { type: 'string', enum: ['open', 'resolved'] },
      reason: { type: 'string', enum: ['version-mismatch', 'patch-test-failed'] },
      baseVersion: { type: ['integer', 'null'] },
      currentVersion: { type: ['integer', 'null'] },
      proposal: {
        type: 'object',
        properties: {
          method: { type: 'string', enum: ['PUT', 'PATCH', 'DELETE'] },
          contentType: { type: 'string' },
          body: {},
        },
      },
      paths: { type: 'array', items: ref('Clash') },
      time: { type: 'string', format: 'date-time' },
      keyId: { type: ['string', 'null'] },
      operationIndex: { type: 'integer' },
      expiresAt: { type: 'string', format: 'date-time' },
      resolution: {
        type: ['object', 'null'],
        properties: {
          strategy: { type: 'string', enum: ['ours', 'theirs', 'merged'] },
          keyId: { type: ['string', 'null'] },
          time: { type: 'string', format: 'date-time' },
          version: { type: 'integer' },
        },
      },
    },
  },
  ConflictPage: {
    type: 'object',
    properties: {
      items: { type: 'array', items: ref('ConflictRecord') },
      nextCursor: { type: ['string', 'null'] },
    },
  },
  Resolution: {
    type: 'object',
    required: ['strategy'],
    properties: {
      strategy: { type: 'string', enum: ['ours', 'theirs', 'merged'] },
      document: { type: 'object', description: 'With "merged" only: the document to write' },
    },
  },
};

const OPERATIONS: Record<HandlerName, Spec> = {
  'openapi.get': {
    tag: 'Documentation',
    responses: {
      '200': ok('This document', { type: 'object' }, {}, false),
      ...problems(...PUBLIC),
    },
  },
  'docs.page': {
    tag: 'Documentation',
    responses: {
      '200': {
        description: 'The guide to conflicts and problem types, and this reference (HTML)',
        content: { 'text/html': { schema: { type: 'string' } } },
      },
      ...problems(...PUBLIC),
    },
  },
  'docs.script': {
    tag: 'Documentation',
    responses: {
      '200': {
        description: 'The Redoc standalone script the documentation page runs',
        content: { 'text/javascript': { schema: { type: 'string' } } },
      },
      ...problems(...PUBLIC),
    },
  },
  'items.create': {
    tag: 'Documents',
    parameters: [idempotencyKey],
    requestBody: documentBody,
    responses: { '201': created('Created'), ...problems(...WRITE) },
  },
  'items.list': {
    tag: 'Documents',
    parameters: pageParameters,
    responses: { '200': ok('A page', ref('Page')), ...problems(...COMMON) },
  },
  'items.get': {
    tag: 'Documents',
    parameters: [ifMatch, ifNoneMatch],
    responses: {
      '200': documentAnswer('The document'),
      '304': ok(
        'Not modified: the version is the one named by If-None-Match',
        undefined,
        validators,
      ),
      ...problems(...COMMON, 409, 412),
    },
  },
  'items.replace': {
    tag: 'Documents',
    parameters: [ifMatch, ifNoneMatch, idempotencyKey, lockToken],
    requestBody: documentBody,
    responses: {
      '200': policyWrite('Replaced'),
      '201': created('Created (If-None-Match: *)'),
      ...problems(...WRITE),
    },
  },
  'items.patch': {
    tag: 'Documents',
    parameters: [ifMatch, idempotencyKey, lockToken],
    requestBody: {
      required: true,
      description: `A merge patch, or a JSON Patch of up to ${MAX_PATCH_OPERATIONS} operations`,
      content: {
        [MERGE_PATCH_TYPE]: { schema: ref('MergePatch') },
        [JSON_PATCH_TYPE]: { schema: ref('JsonPatch') },
      },
    },
    responses: { '200': policyWrite('Patched'), ...problems(...WRITE) },
  },
  'items.delete': {
    tag: 'Documents',
    parameters: [ifMatch, idempotencyKey, lockToken],
    responses: { '204': ok('Deleted', undefined, replayed), ...problems(...WRITE) },
  },
  'locks.acquire': {
    tag: 'Leases',
    parameters: [idempotencyKey],
    requestBody: leaseBody,
    responses: { '200': grant, ...problems(...COMMON, 409, 413, 415, 422) },
  },
  'locks.renew': {
    tag: 'Leases',
    parameters: [lockToken, idempotencyKey],
    requestBody: leaseBody,
    responses: { '200': grant, ...problems(...COMMON, 409, 413, 415, 422) },
  },
  'locks.release': {
    tag: 'Leases',
    parameters: [lockToken, idempotencyKey],
    responses: { '204': ok('Released', undefined, replayed), ...problems(...COMMON, 409, 422) },
  },
  'versions.list': {
    tag: 'Versions',
    parameters: pageParameters,
    responses: {
      '200': ok('A page of versions, newest first', ref('VersionPage')),
      ...problems(...COMMON),
    },
  },
  'versions.get': {
    tag: 'Versions',
    responses: {
      '200': documentAnswer("The version's document; ETag names the version"),
      ...problems(...COMMON, 410),
    },
  },
  'versions.restore': {
    tag: 'Versions',
    parameters: [ifMatch, ifNoneMatch, idempotencyKey, lockToken],
    responses: {
      '200': documentAnswer('Restored as a new version', replayed),
      '201': created('Revived a deleted document as a new version'),
      ...problems(...WRITE),
    },
  },
  ...TRANSACTIONS,
  ...CONFLICTS,
  'subscriptions.create': {
    tag: 'Webhooks',
    requestBody: { required: true, content: json(ref('SubscriptionRequest')) },
    responses: {
      '201': ok(
        'Registered (Location names it); `secret` appears in this answer only',
        ref('Subscription'),
        { Location: headerRef('Location') },
      ),
      ...problems(...COMMON, 413, 415, 422),
    },
  },
  'subscriptions.list': {
    tag: 'Webhooks',
    responses: {
      '200': ok("The tenant's subscriptions, without secrets", {
        type: 'object',
        properties: { items: { type: 'array', items: ref('Subscription') } },
      }),
      ...problems(...COMMON),
    },
  },
  'subscriptions.delete': {
    tag: 'Webhooks',
    responses: { '204': ok('Removed', undefined), ...problems(...COMMON) },
  },
};

const SUBSCRIPTION_SCHEMAS: Record<string, Json> = {
  SubscriptionRequest: {
    type: 'object',
    required: ['url', 'events'],
    properties: {
      url: {
        type: 'string',
        format: 'uri',
        description: 'https; a host that is a private, loopback or link-local address is refused',
      },
      events: { type: 'array', minItems: 1, items: { type: 'string', enum: [...EVENT_TYPES] } },
      collection: { type: 'string', description: 'Only events of this collection' },
    },
  },
  Subscription: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      url: { type: 'string', format: 'uri' },
      events: { type: 'array', items: { type: 'string', enum: [...EVENT_TYPES] } },
      collection: { type: 'string' },
      createdAt: { type: 'string', format: 'date-time' },
      secret: {
        type: 'string',
        description:
          'Signs every delivery (Concord-Signature: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<body>">); ' +
          'only in the answer to the registration',
      },
    },
  },
};

const TAGS = [
  {
    name: 'Documents',
    description: 'Create, read, replace, patch, delete and list JSON documents',
  },
  { name: 'Leases', description: 'Pessimistic leases with fencing tokens' },
  { name: 'Versions', description: 'Version history and restore' },
  { name: 'Transactions', description: 'All-or-nothing batches, sent at once or staged' },
  { name: 'Conflicts', description: 'Refused version conflicts, listed and resolved' },
  { name: 'Webhooks', description: 'Signed events for document changes and conflicts' },
  { name: 'Documentation', description: 'This description and the documentation page' },
];

const pathParameters = (path: string, collections: readonly string[] | undefined): Json[] =>
  [...path.matchAll(/\{([^}]+)\}/g)].map(([, name = '']) => ({
    name,
    in: 'path',
    required: true,
    ...PATH_PARAMETERS[name],
    // With a configuration, the collections it declares (any other is 404).
    ...(name === 'collection' && collections
      ? { schema: { type: 'string', enum: [...collections] } }
      : {}),
  }));

/** HEAD answers as GET does, without a body. */
const withoutBodies = (responses: Json): Json =>
  Object.fromEntries(
    Object.entries(responses).map(([status, response]) => {
      const { content: _content, ...rest } = response as Json;
      return [status, rest];
    }),
  );

const operation = (route: Route, collections: readonly string[] | undefined): Json => {
  const spec = OPERATIONS[route.handler];
  const head = route.method === 'HEAD';
  return {
    operationId: `${route.handler.replace('.', '_')}_${route.method.toLowerCase()}`,
    summary: route.summary,
    tags: [spec.tag],
    parameters: [...pathParameters(route.path, collections), ...(spec.parameters ?? [])],
    ...(spec.requestBody && !head ? { requestBody: spec.requestBody } : {}),
    responses: head ? withoutBodies(spec.responses) : spec.responses,
    ...(route.auth ? {} : { security: [] }),
  };
};

const DESCRIPTION = `Conflict-safe JSON documents over HTTP. Every write names the version it was based on (If-Match), and a write that lost a race is answered 409 with the winner's state (\`current\`), so a client resolves it without a second read.

Every error is \`application/problem+json\` (RFC 9457); its \`type\` links to the explanation of the problem in the [guide](/docs#conflicts) (\`${PROBLEM_TYPE_BASE}<type>\`).`;

/** A collection's JSON Schema as a component: what its documents are, besides id and version. */
const collectionSchema = (name: string, schema: Record<string, unknown>): Json => {
  // The dialect and identity belong to the standalone schema, not to a component.
  const { $schema: _dialect, $id: _id, ...rest } = schema;
  return {
    title: `A document of "${name}"`,
    description: `A document of the collection "${name}": its JSON Schema, enforced on every write`,
    allOf: [ref('GenericDocument'), rest],
  };
};

/**
 * The schemas, with the documents of each collection that declares a JSON
 * Schema: `Document` is then any of the generic document and those.
 */
const schemasFor = (config: ConcordConfig | undefined): Record<string, Json> => {
  const typed = (config?.collections ?? []).filter((c) => c.schema !== undefined);
  if (typed.length === 0) return SCHEMAS;
  const { Document: generic, ...rest } = SCHEMAS;
  return {
    ...rest,
    GenericDocument: generic ?? {},
    ...Object.fromEntries(
      typed.map((c) => [`Document.${c.name}`, collectionSchema(c.name, c.schema ?? {})]),
    ),
    Document: {
      description: 'A document: of any collection, and of its own schema where it declares one',
      anyOf: [ref('GenericDocument'), ...typed.map((c) => ref(`Document.${c.name}`))],
    },
  };
};

/**
 * Builds the OpenAPI document for every route in the table; with a
 * configuration, its collections and their document schemas are in it.
 */
export const buildOpenApi = (config?: ConcordConfig): Json => {
  const collections = config?.collections.map((c) => c.name);
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    paths[route.path] = {
      ...paths[route.path],
      [route.method.toLowerCase()]: operation(route, collections),
    };
  }
  return {
    openapi: '3.1.0',
    info: {
      title: 'Concord',
      version: '1.0.0',
      description: DESCRIPTION,
      license: { name: 'Apache-2.0', identifier: 'Apache-2.0' },
    },
    servers: [{ url: '/', description: 'The API that serves this document' }],
    security: [{ apiKey: [] }],
    tags: TAGS,
    paths,
    components: {
      securitySchemes: {
        apiKey: {
          type: 'http',
          scheme: 'bearer',
          description: 'Authorization: Bearer <api key> (npm run keys -- create)',
        },
      },
      headers: HEADERS,
      schemas: { ...schemasFor(config), ...SUBSCRIPTION_SCHEMAS, ...CONFLICT_SCHEMAS },
    },
  };
};
