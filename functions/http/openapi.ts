/**
 * The OpenAPI 3.1 description, generated from the route table so that it
 * can never list a route the API lacks, or miss one it has.
 */
import { MAX_PAGE_SIZE } from '../core/limits';
import { PROBLEM_CONTENT_TYPE } from './problem';
import { JSON_PATCH_TYPE, JSON_TYPE, MERGE_PATCH_TYPE } from './request';
import { type HandlerName, type Route, routes } from './routes';

type Json = Record<string, unknown>;

const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
const problem = (description: string) => ({
  description,
  content: { [PROBLEM_CONTENT_TYPE]: { schema: ref('Problem') } },
});
const header = (name: string, description: string) => ({
  name,
  in: 'header',
  required: false,
  description,
  schema: { type: 'string' },
});
const ifMatch = header('If-Match', 'Strong entity tags (or *) the current version must match');
const ifNoneMatch = header('If-None-Match', '* to create only; entity tags for 304 on reads');
const idempotencyKey = header(
  'Idempotency-Key',
  'Retry-safe write: a repeat with the same key answers with the first result (Idempotent-Replayed: true)',
);
const documentBody = (status: string) => ({
  description: status,
  headers: { ETag: { schema: { type: 'string' } } },
  content: { [JSON_TYPE]: { schema: ref('Document') } },
});

/** A write a conflict policy may have merged or applied over a newer version. */
const policyWrite = (status: string) => {
  const body = documentBody(status);
  return {
    ...body,
    headers: {
      ...body.headers,
      'Concord-Write-Outcome': {
        description: 'A stale write the policy took: merged;base=3;current=5, or overwrote;…',
        schema: { type: 'string' },
      },
      'Concord-Merge-Rules': {
        description: 'Field rules that settled clashes, e.g. "/views";rule=counter',
        schema: { type: 'string' },
      },
    },
  };
};

const common = {
  '400': problem('Malformed request, header or body'),
  '401': problem('Missing, unknown or revoked API key (WWW-Authenticate: Bearer)'),
  '403': problem('The API key lacks the scope this route needs'),
  '404': problem("Unknown collection or document (or another tenant's)"),
  '429': problem('Rate limit of the API key exhausted; see Retry-After and RateLimit'),
  '503': problem('Database throttled or unavailable; see Retry-After'),
};
const conflict = problem('Conflict: the body carries the current version, ETag and document');
const writes = {
  ...common,
  '409': conflict,
  '412': problem('Failed precondition (strict-HTTP profile only)'),
  '413': problem('Body too large'),
  '415': problem('Unsupported media type'),
  '422': problem('The document fails validation'),
  '428': problem('This collection requires If-Match (or If-None-Match: *)'),
};

const lockToken = header(
  'Lock-Token',
  'The token of the lease, as acquire answered it (fencing:lease id)',
);
const grant = {
  description: 'The lease: lockToken, fencingToken, expiresAt, ttlSeconds',
  headers: { 'Lock-Token': { schema: { type: 'string' } } },
  content: { [JSON_TYPE]: { schema: ref('Lease') } },
};
const ttlBody = {
  required: false,
  content: {
    [JSON_TYPE]: {
      schema: { type: 'object', properties: { ttlSeconds: { type: 'integer', minimum: 1 } } },
    },
  },
};
const lockAnswers = {
  ...common,
  '409': problem(
    'lock-held (see Retry-After), lock-lost (a newer lease was taken) or idempotency-in-flight',
  ),
  '422': problem('The same Idempotency-Key came with another request'),
};

const transactionResults = {
  description: "Committed: each operation's result, in order",
  content: { [JSON_TYPE]: { schema: ref('TransactionResults') } },
};
const stagedTransaction = (description: string) => ({
  description,
  content: { [JSON_TYPE]: { schema: ref('StagedTransaction') } },
});
const transactionAnswers = {
  ...common,
  '409': problem(
    'transaction-conflict: `failed` lists every refused operation with its reason and current state ' +
      '(retryable with Retry-After when only concurrent transactions were in the way)',
  ),
  '413': problem('Body, or the answer kept for retries, too large'),
  '415': problem('Unsupported media type'),
  '422': problem('Invalid operations: `errors` locates each problem by JSON Pointer'),
};
const stagedAnswers = {
  ...common,
  '409': problem('transaction-closed: the transaction was committed or aborted'),
  '410': problem('transaction-expired: the transaction passed its expiry'),
};

const pageParameters = [
  { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: MAX_PAGE_SIZE } },
  { name: 'cursor', in: 'query', schema: { type: 'string' } },
];

const TRANSACTION_OPERATIONS = {
  'transactions.run': {
    parameters: [idempotencyKey],
    requestBody: {
      required: true,
      content: { [JSON_TYPE]: { schema: ref('TransactionRequest') } },
    },
    responses: { '200': transactionResults, ...transactionAnswers },
  },
  'transactions.begin': {
    requestBody: ttlBody,
    responses: { '201': stagedTransaction('Begun (Location names it)'), ...common },
  },
  'transactions.get': {
    responses: { '200': stagedTransaction('The staged transaction'), ...common },
  },
  'transactions.add': {
    requestBody: { required: true, content: { [JSON_TYPE]: { schema: ref('Operation') } } },
    responses: {
      '200': { description: 'Added: its index and the operation as stored' },
      ...stagedAnswers,
      '413': problem('The staged operations no longer fit one record'),
      '422': problem('Invalid operation, a document named twice, or the transaction is full'),
    },
  },
  'transactions.commit': {
    responses: {
      '200': transactionResults,
      ...stagedAnswers,
      '409': problem('transaction-conflict (see POST /v1/transactions) or transaction-closed'),
      '422': problem('An operation no longer passes its collection rules'),
    },
  },
  'transactions.abort': {
    responses: { '204': { description: 'Aborted (or aborted already)' }, ...stagedAnswers },
  },
};

const query = (name: string, description: string, schema: Json = { type: 'string' }) => ({
  name,
  in: 'query',
  description,
  schema,
});

const conflictBody = (description: string) => ({
  description,
  content: { [JSON_TYPE]: { schema: ref('Conflict') } },
});

const CONFLICT_OPERATIONS = {
  'conflicts.list': {
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
      '200': {
        description: 'A page of conflicts, oldest first',
        content: { [JSON_TYPE]: { schema: ref('ConflictPage') } },
      },
      ...common,
    },
  },
  'conflicts.get': { responses: { '200': conflictBody('The conflict'), ...common } },
  'conflicts.resolve': {
    parameters: [
      header('If-Match', "The document's version to resolve against; default: the recorded one"),
      idempotencyKey,
    ],
    requestBody: {
      required: true,
      content: { [JSON_TYPE]: { schema: ref('Resolution') } },
    },
    responses: {
      '200': conflictBody('Resolved; ETag names the version the document is at'),
      ...writes,
      '409': problem(
        'version-mismatch: the document moved again (with its current state), or conflict-resolved',
      ),
    },
  },
};

const OPERATIONS: Record<
  HandlerName,
  { parameters?: Json[]; requestBody?: Json; responses: Json }
> = {
  'openapi.get': { responses: { '200': { description: 'This document' } } },
  'items.create': {
    parameters: [idempotencyKey],
    requestBody: { required: true, content: { [JSON_TYPE]: { schema: ref('Document') } } },
    responses: { '201': documentBody('Created'), ...writes },
  },
  'items.list': {
    parameters: pageParameters,
    responses: {
      '200': { description: 'A page', content: { [JSON_TYPE]: { schema: ref('Page') } } },
      ...common,
    },
  },
  'items.get': {
    parameters: [ifMatch, ifNoneMatch],
    responses: {
      '200': documentBody('The document'),
      '304': { description: 'Not modified' },
      ...common,
      '409': conflict,
      '412': problem('Failed If-Match (strict-HTTP profile only)'),
    },
  },
  'items.replace': {
    parameters: [ifMatch, ifNoneMatch, idempotencyKey, lockToken],
    requestBody: { required: true, content: { [JSON_TYPE]: { schema: ref('Document') } } },
    responses: { '200': policyWrite('Replaced'), '201': documentBody('Created'), ...writes },
  },
  'items.patch': {
    parameters: [ifMatch, idempotencyKey, lockToken],
    requestBody: {
      required: true,
      content: {
        [MERGE_PATCH_TYPE]: { schema: { type: 'object' } },
        [JSON_PATCH_TYPE]: { schema: { type: 'array', items: { type: 'object' } } },
      },
    },
    responses: { '200': policyWrite('Patched'), ...writes },
  },
  'locks.acquire': {
    parameters: [idempotencyKey],
    requestBody: ttlBody,
    responses: { '200': grant, ...lockAnswers },
  },
  'locks.renew': {
    parameters: [lockToken, idempotencyKey],
    requestBody: ttlBody,
    responses: { '200': grant, ...lockAnswers },
  },
  'locks.release': {
    parameters: [lockToken, idempotencyKey],
    responses: { '204': { description: 'Released' }, ...lockAnswers },
  },
  'items.delete': {
    parameters: [ifMatch, idempotencyKey, lockToken],
    responses: { '204': { description: 'Deleted' }, ...writes },
  },
  'versions.list': {
    parameters: pageParameters,
    responses: {
      '200': {
        description: 'A page of versions, newest first',
        content: { [JSON_TYPE]: { schema: ref('VersionPage') } },
      },
      ...common,
    },
  },
  'versions.get': {
    responses: {
      '200': documentBody("The version's document; ETag names the version"),
      ...common,
      '410': problem('This version is the deletion of the document'),
    },
  },
  'versions.restore': {
    parameters: [ifMatch, ifNoneMatch, idempotencyKey, lockToken],
    responses: {
      '200': documentBody('Restored as a new version'),
      '201': documentBody('Revived a deleted document as a new version'),
      ...writes,
      '422': problem('The version is a deletion, or its content fails the current schema'),
    },
  },
  ...TRANSACTION_OPERATIONS,
  ...CONFLICT_OPERATIONS,
};

const pathParameters = (path: string): Json[] =>
  [...path.matchAll(/\{([^}]+)\}/g)].map((m) => ({
    name: m[1],
    in: 'path',
    required: true,
    schema: { type: 'string' },
  }));

const operation = (route: Route): Json => {
  const spec = OPERATIONS[route.handler];
  return {
    operationId: `${route.handler.replace('.', '_')}_${route.method.toLowerCase()}`,
    summary: route.summary,
    parameters: [...pathParameters(route.path), ...(spec.parameters ?? [])],
    ...(spec.requestBody && route.method !== 'HEAD' ? { requestBody: spec.requestBody } : {}),
    responses: spec.responses,
    ...(route.auth ? {} : { security: [] }),
  };
};

const TRANSACTION_SCHEMAS = {
  Operation: {
    type: 'object',
    required: ['op', 'collection'],
    properties: {
      op: { type: 'string', enum: ['create', 'replace', 'patch', 'delete', 'check'] },
      collection: { type: 'string' },
      id: { type: 'string', description: 'Optional for a create: the server makes a ULID' },
      document: { type: 'object', description: 'create and replace' },
      patch: { description: 'patch: a merge patch object, or an array of JSON Patch operations' },
      patchFormat: { type: 'string', enum: ['merge', 'json'], default: 'merge' },
      ifMatch: { type: 'string', description: 'Entity tags (or *), as the If-Match header' },
      ifNoneMatch: { type: 'string', description: '* (absent), or entity tags' },
      lockToken: { type: 'string', description: 'The lease token, as the Lock-Token header' },
    },
  },
  TransactionRequest: {
    type: 'object',
    required: ['operations'],
    properties: { operations: { type: 'array', items: ref('Operation'), minItems: 1 } },
  },
  OperationResult: {
    type: 'object',
    properties: {
      index: { type: 'integer' },
      op: { type: 'string' },
      status: { type: 'integer', enum: [200, 201, 204] },
      collection: { type: 'string' },
      id: { type: 'string' },
      version: { type: ['integer', 'null'] },
      etag: { type: 'string' },
      location: { type: 'string' },
      document: ref('Document'),
    },
  },
  TransactionResults: {
    type: 'object',
    properties: { results: { type: 'array', items: ref('OperationResult') } },
  },
  StagedTransaction: {
    type: 'object',
    properties: {
      id: { type: 'string' },
      state: { type: 'string', enum: ['open', 'committed', 'aborted', 'expired'] },
      expiresAt: { type: 'string', format: 'date-time' },
      operations: { type: 'array', items: ref('Operation') },
      results: { type: 'array', items: ref('OperationResult') },
    },
  },
};

const CLASH = {
  type: 'object',
  required: ['path'],
  properties: {
    path: { type: 'string', description: 'JSON Pointer' },
    base: { description: 'The value in the version the request named' },
    theirs: { description: 'The value in the current version' },
    ours: { description: 'The value the request made' },
  },
};

const CONFLICT_SCHEMAS = {
  Clash: CLASH,
  Conflict: {
    type: 'object',
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
      items: { type: 'array', items: ref('Conflict') },
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

/** Builds the OpenAPI document for every route in the table. */
export const buildOpenApi = (): Json => {
  const paths: Record<string, Json> = {};
  for (const route of routes) {
    paths[route.path] = { ...paths[route.path], [route.method.toLowerCase()]: operation(route) };
  }
  return {
    openapi: '3.1.0',
    security: [{ apiKey: [] }],
    info: { title: 'Concord', version: '1.0.0', description: 'Conflict-safe JSON resources' },
    paths,
    components: {
      securitySchemes: { apiKey: { type: 'http', scheme: 'bearer' } },
      schemas: {
        Document: {
          type: 'object',
          properties: { id: { type: 'string' }, version: { type: 'integer', minimum: 1 } },
        },
        Lease: {
          type: 'object',
          properties: {
            lockToken: { type: 'string' },
            fencingToken: { type: 'integer' },
            expiresAt: { type: 'string', format: 'date-time' },
            ttlSeconds: { type: 'integer' },
          },
        },
        Page: {
          type: 'object',
          properties: {
            items: { type: 'array', items: ref('Document') },
            nextCursor: { type: ['string', 'null'] },
          },
        },
        VersionPage: {
          type: 'object',
          properties: {
            items: {
              type: 'array',
              items: {
                type: 'object',
                properties: {
                  version: { type: 'integer', minimum: 1 },
                  etag: { type: 'string' },
                  operation: {
                    type: 'string',
                    enum: ['create', 'replace', 'patch', 'delete', 'restore'],
                  },
                  time: { type: 'string', format: 'date-time' },
                  keyId: { type: ['string', 'null'] },
                  deleted: { type: 'boolean' },
                },
              },
            },
            nextCursor: { type: ['string', 'null'] },
          },
        },
        ...TRANSACTION_SCHEMAS,
        ...CONFLICT_SCHEMAS,
        Problem: {
          type: 'object',
          required: ['type', 'title', 'status'],
          properties: {
            type: { type: 'string', format: 'uri' },
            title: { type: 'string' },
            status: { type: 'integer' },
            detail: { type: 'string' },
            instance: { type: 'string' },
            retryable: { type: 'boolean' },
            current: {
              type: 'object',
              properties: {
                version: { type: 'integer' },
                etag: { type: 'string' },
                document: ref('Document'),
              },
            },
            conflict: {
              type: 'object',
              description: 'The conflict recorded for this refusal',
              properties: { id: { type: 'string' }, url: { type: 'string' } },
            },
            baseVersion: { type: 'integer', description: 'A refused merge: the version named' },
            baseKept: { type: 'boolean', description: 'Whether that version was still in history' },
            clashes: { type: 'array', items: ref('Clash') },
          },
        },
      },
    },
  };
};
