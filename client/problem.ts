/**
 * Turns an error answer into the matching {@link ConcordError} subclass. Bodies
 * that are not problem details (a proxy's HTML page, API Gateway's
 * `{"message": …}`) still yield a typed error chosen by status.
 */
import {
  ConcordError,
  type ConcordErrorInit,
  ConflictError,
  NotFoundError,
  PROBLEM_TYPE_ANCHOR,
  PreconditionRequiredError,
  type ProblemDetails,
  RateLimitedError,
  TransactionConflictError,
  UnavailableError,
  ValidationError,
} from './errors.js';
import { parseRetryAfter } from './retry.js';

const CODE_BY_STATUS: Record<number, string> = {
  400: 'bad-request',
  401: 'unauthorized',
  403: 'forbidden',
  404: 'not-found',
  405: 'method-not-allowed',
  409: 'conflict',
  412: 'precondition-failed',
  413: 'payload-too-large',
  415: 'unsupported-media-type',
  422: 'unprocessable-content',
  428: 'precondition-required',
  429: 'rate-limited',
  500: 'internal-error',
  502: 'bad-gateway',
  503: 'unavailable',
  504: 'gateway-timeout',
};

/** Longest slice of a non-problem body quoted in `detail`, so HTML pages do not flood logs. */
const MAX_DETAIL_CHARS = 200;

/** Builds the error for a non-2xx answer from its status, headers and body text. */
export function errorFromResponse(
  status: number,
  headers: Headers,
  bodyText: string,
  now: number = Date.now(),
): ConcordError {
  const problem = parseProblem(bodyText);
  const init = problem
    ? fromProblem(status, headers, problem)
    : fromOpaqueBody(status, headers, bodyText);
  const retryAfterMs = parseRetryAfter(headers.get('retry-after'), now);

  if (status === 409 && init.code === 'transaction-conflict')
    return new TransactionConflictError(init);
  if (status === 409 || status === 412) return new ConflictError(init);
  if (status === 404) return new NotFoundError(init);
  if (status === 428) return new PreconditionRequiredError(init);
  if (init.code === 'validation-failed') return new ValidationError(init);
  if (status === 429) return new RateLimitedError(init, retryAfterMs);
  if (status === 503) return new UnavailableError(init, retryAfterMs);
  return new ConcordError(init);
}

function parseProblem(text: string): ProblemDetails | undefined {
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    return undefined;
  }
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const candidate = body as ProblemDetails;
  // A JSON body without the RFC 9457 members is treated as opaque, not as a problem.
  return typeof candidate.type === 'string' || typeof candidate.title === 'string'
    ? candidate
    : undefined;
}

function fromProblem(status: number, headers: Headers, problem: ProblemDetails): ConcordErrorInit {
  const type = typeof problem.type === 'string' ? problem.type : 'about:blank';
  // `/docs#problem-<code>`, or the same resolved against the API's address.
  const anchor = type.indexOf(PROBLEM_TYPE_ANCHOR);
  const code =
    anchor >= 0 ? type.slice(anchor + PROBLEM_TYPE_ANCHOR.length) : codeForStatus(status);
  return {
    status,
    type,
    code,
    title: typeof problem.title === 'string' ? problem.title : statusTitle(status),
    detail: typeof problem.detail === 'string' ? problem.detail : undefined,
    retryable:
      typeof problem.retryable === 'boolean' ? problem.retryable : defaultRetryable(status),
    problem,
    headers,
  };
}

function fromOpaqueBody(status: number, headers: Headers, text: string): ConcordErrorInit {
  let detail: string | undefined = text.trim().slice(0, MAX_DETAIL_CHARS) || undefined;
  try {
    // API Gateway's own errors look like {"message":"Internal Server Error"}.
    const body = JSON.parse(text) as { message?: unknown };
    if (typeof body?.message === 'string') detail = body.message;
  } catch {
    // Not JSON: keep the text excerpt.
  }
  return {
    status,
    code: codeForStatus(status),
    title: statusTitle(status),
    detail,
    retryable: defaultRetryable(status),
    headers,
  };
}

function codeForStatus(status: number): string {
  return CODE_BY_STATUS[status] ?? `http-${status}`;
}

function statusTitle(status: number): string {
  return `HTTP ${status}`;
}

function defaultRetryable(status: number): boolean {
  return status === 429 || status >= 500;
}
