/**
 * Every problem `type` the API emits, with the explanation the /docs guide
 * shows for it. A problem's `type` is a URI reference to that explanation,
 * `/docs#problem-<type>`: relative, so it resolves against the API's own
 * address wherever it runs (API Gateway, `npm start`, a custom domain's root).
 * Adding an error code without an explanation here fails to compile.
 */
import type { ErrorCode } from '../core/errors';

/** What the local HTTP server answers for requests Node's parser refuses. */
export type RefusalType =
  | 'request-header-fields-too-large'
  | 'request-timeout'
  | 'expectation-failed';

export type ProblemType = ErrorCode | RefusalType | 'internal';

/** Where problem types are explained; the problem type is appended. */
export const PROBLEM_TYPE_BASE = '/docs#problem-';

/** The `type` member of a problem: the anchor of its explanation in the /docs guide. */
export const problemTypeUri = (type: ProblemType): string => `${PROBLEM_TYPE_BASE}${type}`;

export interface ProblemExplanation {
  /** The statuses it is answered with (the strict-HTTP profile may say 412 instead of 409). */
  readonly status: readonly number[];
  /** What happened. */
  readonly meaning: string;
  /** What a client should do about it. */
  readonly action: string;
  /** Extension members the problem body carries. */
  readonly members?: readonly string[];
  /** A conflict: part of the guide's conflict scenarios. */
  readonly conflict?: boolean;
}

const CURRENT = 'current (version, etag, document)';

export const PROBLEM_GUIDE: Record<ProblemType, ProblemExplanation> = {
  'already-exists': {
    status: [409, 412],
    conflict: true,
    meaning:
      'A create (POST, or PUT with If-None-Match: *) named an id that is taken. Nothing was written.',
    action:
      'Read `current`: it is the document that is there. Use it, or create under another id; retrying unchanged fails again.',
    members: [CURRENT, 'location'],
  },
  'version-mismatch': {
    status: [409, 412],
    conflict: true,
    meaning:
      'If-Match (or a `version` in the body) named a version that is no longer current: someone else wrote first. Nothing was written.',
    action:
      'Re-apply your change to `current.document` and send it again with If-Match set to `current.etag`. No second read is needed. Under the merge policy, `clashes` lists the paths both sides changed (base, theirs, ours); `conflict.url` is the recorded conflict, which can also be resolved through the API.',
    members: [CURRENT, 'conflict', 'clashes', 'baseVersion', 'baseKept'],
  },
  'patch-test-failed': {
    status: [409],
    conflict: true,
    meaning: 'A JSON Patch `test` operation did not hold on the current document.',
    action:
      'Look at `current.document` at `pointer` and decide whether your patch still applies; build a new one if it does.',
    members: [CURRENT, 'pointer'],
  },
  'conflict-resolved': {
    status: [409],
    conflict: true,
    meaning:
      'A resolution named a recorded conflict that has been resolved already (by whom, how and at which version is in the conflict record). Nothing was written.',
    action:
      'GET the conflict to see its resolution. A retry of your own resolution with the same Idempotency-Key is answered as done.',
  },
  'unique-violation': {
    status: [409],
    conflict: true,
    meaning: 'Another document of the collection holds this value of a unique field.',
    action:
      '`field` names the field, `location` the document holding the value. Pick another value.',
    members: ['field', 'location'],
  },
  'lock-held': {
    status: [409],
    conflict: true,
    meaning: 'Another client holds a lease on the document.',
    action:
      'Wait `Retry-After` seconds (or until `leaseExpiresAt`) and try again, or send the Lock-Token of the lease if it is yours.',
    members: ['retryAfter', 'leaseExpiresAt'],
  },
  'lock-lost': {
    status: [409],
    conflict: true,
    meaning:
      'The lease of this Lock-Token ended and a newer one was taken: a write with a stale fencing token is refused.',
    action:
      'Stop the work that relied on the lease; acquire it again and start over from the current document.',
    members: ['currentFencingToken'],
  },
  'idempotency-in-flight': {
    status: [409],
    conflict: true,
    meaning: 'A request with the same Idempotency-Key is still being processed.',
    action: 'Retry after `Retry-After` seconds with the same key: you get its answer.',
  },
  'transaction-conflict': {
    status: [409],
    conflict: true,
    meaning:
      'A transaction was cancelled: one or more operations were refused. Nothing of it was written.',
    action:
      '`failed` lists each refused operation with its `reason` (one of these problem types) and the current state; fix those and send the whole transaction again.',
    members: ['failed'],
  },
  'transaction-closed': {
    status: [409],
    conflict: true,
    meaning: 'The staged transaction was committed or aborted already.',
    action: '`state` says which; begin a new transaction to do more.',
    members: ['state'],
  },
  'precondition-required': {
    status: [428],
    meaning:
      'The collection requires a precondition on every PUT, PATCH and DELETE, and the request had none.',
    action:
      'Read the document, then send If-Match with its ETag (or If-None-Match: * to create only).',
  },
  'bad-request': {
    status: [400],
    meaning: 'Malformed JSON, path, query parameter or header.',
    action: 'Fix the request: `detail` (and `errors`, when present) says what is wrong.',
    members: ['errors'],
  },
  unauthorized: {
    status: [401],
    meaning: 'No API key, or an unknown or revoked one.',
    action: 'Send Authorization: Bearer <api key> with a valid key.',
  },
  forbidden: {
    status: [403],
    meaning: 'The API key lacks the scope this route needs (`read` or `write`).',
    action: 'Use a key with that scope.',
  },
  'not-found': {
    status: [404, 412],
    meaning: 'No such collection, document or route (another tenant’s documents look the same).',
    action: 'Check the collection name and id.',
  },
  'method-not-allowed': {
    status: [405],
    meaning: 'The path exists but not with this method.',
    action: 'The Allow header lists the methods it takes.',
  },
  'version-is-deletion': {
    status: [410],
    meaning: 'This version of the document is its deletion: there is no content to show.',
    action: 'Read an earlier version.',
    members: ['version'],
  },
  'transaction-expired': {
    status: [410],
    meaning: 'The staged transaction passed its expiry before it was committed.',
    action: 'Begin a new transaction and add the operations again.',
    members: ['expiresAt'],
  },
  'payload-too-large': {
    status: [413],
    meaning: 'The body is larger than the API accepts (or the result would not fit one item).',
    action: 'Send less: `limitBytes` says how much fits.',
    members: ['limitBytes'],
  },
  'unsupported-media-type': {
    status: [415],
    meaning: 'The Content-Type is not one this route takes.',
    action:
      '`accepted` lists the types: application/json, or for PATCH application/merge-patch+json and application/json-patch+json.',
    members: ['accepted'],
  },
  'validation-failed': {
    status: [422],
    meaning: 'The document does not satisfy the collection’s JSON Schema.',
    action: '`errors` locates each problem by JSON Pointer; fix those fields.',
    members: ['errors'],
  },
  'idempotency-key-reused': {
    status: [422],
    meaning: 'This Idempotency-Key came before with a different request.',
    action: 'Use a new key for a new request.',
  },
  'nothing-to-restore': {
    status: [422],
    meaning: 'The version to restore is a deletion.',
    action: 'Restore another version.',
    members: ['version'],
  },
  'rate-limited': {
    status: [429],
    meaning: 'The API key used up its quota for now.',
    action:
      'Wait `Retry-After` seconds; RateLimit and RateLimit-Policy tell the quota and what is left.',
    members: ['retryAfter'],
  },
  unavailable: {
    status: [503],
    meaning: 'DynamoDB was throttled or unreachable after retries.',
    action: 'Retry after `Retry-After` seconds; with an Idempotency-Key a retried write is safe.',
    members: ['retryAfter'],
  },
  internal: {
    status: [500],
    meaning: 'The server failed to answer. It is logged; nothing of the cause is shown.',
    action: 'Retry later; report it if it persists.',
  },
  'request-header-fields-too-large': {
    status: [431],
    meaning: 'The request line and headers exceed 16 KiB (local server).',
    action: 'Send smaller headers.',
  },
  'request-timeout': {
    status: [408],
    meaning: 'The request did not arrive in time (local server).',
    action: 'Send the request again.',
  },
  'expectation-failed': {
    status: [417],
    meaning: 'The Expect header asked for something the server does not do (local server).',
    action: 'Leave out Expect, or send Expect: 100-continue.',
  },
};
