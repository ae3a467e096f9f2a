/**
 * Concord client for API consumers: typed documents with their versions and
 * ETags, typed errors, safe retries and conflict-retrying `update()`.
 * Uses only web-platform APIs (fetch, AbortSignal, crypto), so it runs in
 * Node 20+ and browsers.
 */
export { ConcordClient, type MergePatch } from './concord-client.js';
export type {
  Clash,
  ConflictLink,
  ConflictPage,
  ConflictRecord,
  ListConflictsOptions,
  ResolutionStrategy,
  ResolveConflictOptions,
  WriteOutcome,
} from './conflicts.js';
export {
  AbortedError,
  ConcordError,
  type ConcordErrorInit,
  ConflictError,
  InvalidResponseError,
  NetworkError,
  NotFoundError,
  PROBLEM_TYPE_ANCHOR,
  PROBLEM_TYPE_PREFIX,
  PreconditionRequiredError,
  type ProblemDetails,
  RateLimitedError,
  TimeoutError,
  TransactionConflictError,
  UnavailableError,
  ValidationError,
  type ValidationIssue,
} from './errors.js';
export {
  abortableSleep,
  backoffDelay,
  DEFAULT_CONFLICT_BACKOFF,
  DEFAULT_RETRY_POLICY,
  parseRetryAfter,
} from './retry.js';
export type * from './transaction-types.js';
export { StagedTransaction } from './transactions.js';
export type * from './types.js';
export {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  type VerifyWebhookOptions,
  verifyWebhook,
  WEBHOOK_SIGNATURE_HEADER,
  type WebhookEvent,
  type WebhookEventType,
  WebhookVerificationError,
} from './webhooks.js';
