/**
 * One record per request, for logs and metrics, and `Server-Timing` on every
 * answer. The record says who asked (tenant and key id, never the key), what
 * (route, collection), how it went (status, problem type, the conflict's
 * versions) and where the time went (latency, database calls and time). It
 * never carries a document body, a key or a secret.
 */
import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { DomainError, StateConflictError } from '../core/errors';
import type { RequestStats } from '../core/request-stats';
import { principalOf } from './admission';

export interface ConflictRecord {
  /** The problem type: version-mismatch, already-exists, lock-held, … */
  readonly type: string;
  readonly collection?: string;
  readonly id?: string;
  /** The version the document is at, when the conflict says. */
  readonly currentVersion?: number;
  /** The versions the request's If-Match named, when it named any. */
  readonly ifMatch?: string;
  /** The conflict record kept for it. */
  readonly conflictId?: string;
  /** Why recording it failed (an error name); the 409 went out all the same. */
  readonly recordFailed?: string;
}

export interface RequestRecord {
  readonly requestId: string;
  /** The route key, e.g. `PUT /v1/{collection}/{id}`. */
  readonly route: string;
  readonly method: string;
  /** The request path (ids are no secrets; the query string is left out). */
  readonly path: string;
  readonly status: number;
  readonly latencyMs: number;
  readonly tenant?: string;
  readonly keyId?: string;
  readonly collection?: string;
  /** The problem type of an error answer. */
  readonly problem?: string;
  readonly conflict?: ConflictRecord;
  /** The answer was the stored first answer of an Idempotency-Key. */
  readonly replayed: boolean;
  readonly dynamodb: { readonly calls: number; readonly ms: number; readonly throttles: number };
}

/** Where records go: JSON logs and metrics on Lambda, a readable line under `npm start`. */
export type RequestObserver = (record: RequestRecord) => void;

type Request = middy.Request<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;
type Middleware = middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;

const CONFLICT_STATUSES = new Set([409, 412]);

const round = (ms: number): number => Math.round(ms * 10) / 10;

const conflictOf = (request: Request, status: number): ConflictRecord | undefined => {
  const { error, event } = request;
  if (!(error instanceof DomainError) || !CONFLICT_STATUSES.has(status)) return undefined;
  const current = error instanceof StateConflictError ? error.current : undefined;
  const ifMatch = event.headers?.['if-match'];
  return {
    type: error.code,
    ...(event.pathParameters?.collection ? { collection: event.pathParameters.collection } : {}),
    ...(event.pathParameters?.id ? { id: event.pathParameters.id } : {}),
    ...(current ? { currentVersion: current.version } : {}),
    ...(ifMatch ? { ifMatch: ifMatch.slice(0, 200) } : {}),
    ...(error.conflictId !== undefined ? { conflictId: error.conflictId } : {}),
    ...(error.conflictRecordFailed !== undefined
      ? { recordFailed: error.conflictRecordFailed }
      : {}),
  };
};

/**
 * Times each request, adds `Server-Timing` (database time and calls, total
 * time) and hands a {@link RequestRecord} to the observer. Used first, so it
 * sees the final answer, errors already mapped.
 */
export const observe = (
  stats: () => RequestStats | undefined,
  observer: RequestObserver | undefined,
  now: () => number = () => performance.now(),
): Middleware => {
  const started = new WeakMap<APIGatewayProxyEventV2, number>();
  const finish = async (request: Request) => {
    const response = request.response;
    if (!response) return;
    const latencyMs = round(now() - (started.get(request.event) ?? now()));
    const db = stats() ?? { calls: 0, ms: 0, throttles: 0 };
    const status = response.statusCode ?? 200;
    response.headers = {
      ...response.headers,
      'server-timing': `db;dur=${round(db.ms)};desc="${db.calls} DynamoDB calls", total;dur=${latencyMs}`,
    };
    if (!observer) return;
    const principal = principalOf(request.event);
    const conflict = conflictOf(request, status);
    const collection = request.event.pathParameters?.collection;
    observer({
      requestId: request.event.requestContext?.requestId ?? '',
      route: request.event.routeKey,
      method: request.event.requestContext?.http?.method ?? '',
      path: request.event.rawPath ?? '',
      status,
      latencyMs,
      ...(principal ? { tenant: principal.tenant, keyId: principal.keyId } : {}),
      ...(collection ? { collection } : {}),
      ...(request.error instanceof DomainError ? { problem: request.error.code } : {}),
      ...(conflict ? { conflict } : {}),
      replayed: response.headers?.['idempotent-replayed'] === 'true',
      dynamodb: { calls: db.calls, ms: round(db.ms), throttles: db.throttles },
    });
  };
  return {
    before: async (request) => {
      started.set(request.event, now());
    },
    after: finish,
    onError: finish,
  };
};
