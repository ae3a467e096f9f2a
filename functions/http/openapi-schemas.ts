/**
 * The reusable parts of the OpenAPI document: schemas, headers and problem
 * answers. Problem answers list their types from the error mapper's table
 * and link each to its explanation in the /docs guide.
 */
import { MAX_PAGE_SIZE } from '../core/limits';
import { PROBLEM_CONTENT_TYPE, STATUS } from './problem';
import { PROBLEM_GUIDE, type ProblemType, problemTypeUri } from './problem-types';

export type Json = Record<string, unknown>;

export const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
export const headerRef = (name: string) => ({ $ref: `#/components/headers/${name}` });

const string = (description: string) => ({ type: 'string', description });

export const HEADERS: Record<string, Json> = {
  ETag: { description: 'Strong validator of the version answered, e.g. "7"', schema: string('') },
  Location: { description: 'Where the document lives', schema: string('') },
  LastModified: {
    description: 'When the version answered was written (HTTP-date)',
    schema: string(''),
  },
  RetryAfter: {
    description: 'Seconds to wait before trying again',
    schema: { type: 'integer', minimum: 0 },
  },
  RateLimit: {
    description:
      'draft-ietf-httpapi-ratelimit-headers: requests left (r) and seconds until all are back (t), e.g. "default";r=42;t=17',
    schema: string(''),
  },
  RateLimitPolicy: {
    description: 'The key\'s quota (q) per window of w seconds, e.g. "default";q=600;w=60',
    schema: string(''),
  },
  WWWAuthenticate: { description: 'Bearer challenge (RFC 6750)', schema: string('') },
  IdempotentReplayed: {
    description: 'true: this answer is the stored first answer of the Idempotency-Key',
    schema: { type: 'string', enum: ['true'] },
  },
  LockToken: {
    description: 'The lease token to send with writes and renewals',
    schema: string(''),
  },
  WriteOutcome: {
    description:
      'A stale write the conflict policy took: merged;base=3;current=5, or overwrote;base=3;current=5',
    schema: string(''),
  },
  MergeRules: {
    description: 'Field rules that settled clashes, e.g. "/views";rule=counter',
    schema: string(''),
  },
  Allow: { description: 'The methods the path takes', schema: string('') },
  Accept: { description: 'The media types the route takes', schema: string('') },
};

/** Headers on every answer to an admitted request. */
export const RATE_HEADERS = {
  RateLimit: headerRef('RateLimit'),
  'RateLimit-Policy': headerRef('RateLimitPolicy'),
};

const CURRENT_STATE = {
  type: 'object',
  description: 'The current state: a conflict answer needs no second read',
  required: ['version', 'etag', 'document'],
  properties: {
    version: { type: 'integer', minimum: 1 },
    etag: { type: 'string' },
    document: ref('Document'),
  },
};

const JSON_PATCH_OPERATION = {
  oneOf: [
    ...['add', 'replace', 'test'].map((op) => ({
      type: 'object',
      required: ['op', 'path', 'value'],
      properties: { op: { const: op }, path: { type: 'string' }, value: {} },
    })),
    {
      type: 'object',
      required: ['op', 'path'],
      properties: { op: { const: 'remove' }, path: { type: 'string' } },
    },
    ...['move', 'copy'].map((op) => ({
      type: 'object',
      required: ['op', 'from', 'path'],
      properties: { op: { const: op }, from: { type: 'string' }, path: { type: 'string' } },
    })),
  ],
};

export const SCHEMAS: Record<string, Json> = {
  Document: {
    type: 'object',
    description: "A JSON document; `id` and `version` are the server's",
    required: ['id', 'version'],
    properties: {
      id: { type: 'string', pattern: '^[A-Za-z0-9._~-]{1,128}$' },
      version: { type: 'integer', minimum: 1 },
    },
    additionalProperties: true,
  },
  NewDocument: {
    type: 'object',
    description: 'A document to write; `id` is optional on POST (the server makes a ULID)',
    properties: {
      id: { type: 'string', pattern: '^[A-Za-z0-9._~-]{1,128}$' },
      version: { type: 'integer', minimum: 1, description: 'Works like If-Match' },
    },
    additionalProperties: true,
  },
  MergePatch: {
    type: 'object',
    description: 'RFC 7396 JSON Merge Patch: members to set; null removes a member',
    additionalProperties: true,
  },
  JsonPatch: {
    type: 'array',
    description: 'RFC 6902 JSON Patch; a failed `test` answers 409 patch-test-failed',
    items: ref('JsonPatchOperation'),
  },
  JsonPatchOperation: JSON_PATCH_OPERATION,
  CurrentState: CURRENT_STATE,
  Lease: {
    type: 'object',
    required: ['lockToken', 'fencingToken', 'expiresAt', 'ttlSeconds'],
    properties: {
      lockToken: { type: 'string' },
      fencingToken: { type: 'integer' },
      expiresAt: { type: 'string', format: 'date-time' },
      ttlSeconds: { type: 'integer' },
    },
  },
  LeaseRequest: {
    type: 'object',
    properties: { ttlSeconds: { type: 'integer', minimum: 1 } },
  },
  Page: {
    type: 'object',
    required: ['items', 'nextCursor'],
    properties: {
      items: { type: 'array', items: ref('Document'), maxItems: MAX_PAGE_SIZE },
      nextCursor: { type: ['string', 'null'] },
    },
  },
  VersionEntry: {
    type: 'object',
    properties: {
      version: { type: 'integer', minimum: 1 },
      etag: { type: 'string' },
      operation: { type: 'string', enum: ['create', 'replace', 'patch', 'delete', 'restore'] },
      time: { type: 'string', format: 'date-time' },
      keyId: { type: ['string', 'null'] },
      deleted: { type: 'boolean' },
    },
  },
  VersionPage: {
    type: 'object',
    properties: {
      items: { type: 'array', items: ref('VersionEntry') },
      nextCursor: { type: ['string', 'null'] },
    },
  },
  Operation: {
    type: 'object',
    required: ['op', 'collection'],
    properties: {
      op: { type: 'string', enum: ['create', 'replace', 'patch', 'delete', 'check'] },
      collection: { type: 'string' },
      id: { type: 'string', description: 'Optional for a create: the server makes a ULID' },
      document: { type: 'object', description: 'create and replace' },
      patch: {
        description: 'patch: a merge patch object, or a JSON Patch array',
        oneOf: [ref('MergePatch'), ref('JsonPatch')],
      },
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
  StagedOperation: {
    type: 'object',
    properties: { index: { type: 'integer' }, operation: ref('Operation') },
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
  Problem: {
    type: 'object',
    description:
      'RFC 9457 problem details. `type` links to the explanation of the problem in the /docs guide; the members after `retryable` appear with the problem types that carry them.',
    required: ['type', 'title', 'status', 'detail', 'instance', 'retryable'],
    properties: {
      type: {
        type: 'string',
        format: 'uri-reference',
        examples: [problemTypeUri('version-mismatch')],
      },
      title: { type: 'string' },
      status: { type: 'integer' },
      detail: { type: 'string' },
      instance: { type: 'string' },
      retryable: { type: 'boolean' },
      current: ref('CurrentState'),
      location: {
        type: 'string',
        description: 'already-exists, unique-violation: the document there',
      },
      pointer: { type: 'string', description: 'patch-test-failed: where the test failed' },
      field: { type: 'string', description: 'unique-violation: the unique field' },
      errors: {
        type: 'array',
        description: 'validation-failed, bad-request: each problem located by JSON Pointer',
        items: {
          type: 'object',
          properties: { pointer: { type: 'string' }, message: { type: 'string' } },
          additionalProperties: true,
        },
      },
      failed: {
        type: 'array',
        description:
          'transaction-conflict: each refused operation, with its reason and current state',
        items: {
          type: 'object',
          properties: {
            index: { type: 'integer' },
            op: { type: 'string' },
            collection: { type: 'string' },
            id: { type: 'string' },
            reason: { type: 'string' },
            detail: { type: 'string' },
            current: ref('CurrentState'),
          },
          additionalProperties: true,
        },
      },
      retryAfter: { type: 'integer', description: 'lock-held, rate-limited, unavailable' },
      leaseExpiresAt: { type: 'string', format: 'date-time', description: 'lock-held' },
      currentFencingToken: { type: 'integer', description: 'lock-lost' },
      state: { type: 'string', description: 'transaction-closed' },
      expiresAt: { type: 'string', format: 'date-time', description: 'transaction-expired' },
      version: { type: 'integer', description: 'version-is-deletion, nothing-to-restore' },
      limitBytes: { type: 'integer', description: 'payload-too-large' },
      accepted: { type: 'array', items: { type: 'string' }, description: 'unsupported-media-type' },
      conflict: {
        type: 'object',
        description: 'version-mismatch, patch-test-failed: the conflict recorded for this refusal',
        properties: { id: { type: 'string' }, url: { type: 'string' } },
      },
      baseVersion: { type: 'integer', description: 'a refused merge: the version named' },
      baseKept: { type: 'boolean', description: 'a refused merge: whether history kept it' },
      clashes: {
        type: 'array',
        description: 'a refused merge: each clashing path with base, theirs and ours',
        items: ref('Clash'),
      },
    },
  },
  Conflict: {
    description: 'A 409: the problem with the current state of what was in the way',
    allOf: [ref('Problem'), { type: 'object', properties: { current: ref('CurrentState') } }],
  },
};

/** The problem types answered with each status, from the error mapper's table. */
const typesWith = (status: number): ProblemType[] =>
  (Object.keys(PROBLEM_GUIDE) as ProblemType[]).filter((type) =>
    type in STATUS
      ? STATUS[type as keyof typeof STATUS].status === status ||
        PROBLEM_GUIDE[type].status.includes(status)
      : type === 'internal' && status === 500,
  );

const STATUS_HEADERS: Record<number, Json> = {
  401: { 'WWW-Authenticate': headerRef('WWWAuthenticate') },
  403: { 'WWW-Authenticate': headerRef('WWWAuthenticate') },
  405: { Allow: headerRef('Allow') },
  409: {
    ETag: headerRef('ETag'),
    Location: headerRef('Location'),
    'Retry-After': headerRef('RetryAfter'),
  },
  415: { Accept: headerRef('Accept') },
  429: { 'Retry-After': headerRef('RetryAfter'), ...RATE_HEADERS },
  503: { 'Retry-After': headerRef('RetryAfter') },
};

/** One problem answer: which types it can be (each linked to /docs), its headers, its body. */
export const problemResponse = (status: number, note?: string): Json => {
  const types = typesWith(status)
    .map((type) => `[\`${type}\`](${problemTypeUri(type)})`)
    .join(', ');
  return {
    description: `${note ? `${note}. ` : ''}Problem types: ${types}`,
    ...(STATUS_HEADERS[status] ? { headers: STATUS_HEADERS[status] } : {}),
    content: { [PROBLEM_CONTENT_TYPE]: { schema: ref(status === 409 ? 'Conflict' : 'Problem') } },
  };
};
