/**
 * A scripted stand-in for `fetch`: answers requests in order from a queue and
 * records every request, so tests assert exact sequences and headers.
 */
import type { FetchLike } from '../../../client/index';

export interface SeenRequest {
  method: string;
  url: string;
  headers: Record<string, string>;
  body: string | undefined;
}

type Answer = Response | Error | ((request: SeenRequest) => Response | Promise<Response>);

export interface FakeServer {
  fetch: FetchLike;
  seen: SeenRequest[];
  /** `METHOD path` of each request, e.g. `GET /v1/items/a`. */
  calls(): string[];
}

export function fakeServer(...answers: Answer[]): FakeServer {
  const seen: SeenRequest[] = [];
  const queue = [...answers];
  const fetch: FetchLike = async (input, init) => {
    const request: SeenRequest = {
      method: init.method ?? 'GET',
      url: input,
      headers: { ...(init.headers as Record<string, string>) },
      body: typeof init.body === 'string' ? init.body : undefined,
    };
    seen.push(request);
    const next = queue.shift();
    if (next === undefined) throw new Error(`unexpected request ${request.method} ${input}`);
    if (next instanceof Error) throw next;
    return typeof next === 'function' ? next(request) : next;
  };
  return {
    fetch,
    seen,
    calls: () => seen.map((r) => `${r.method} ${new URL(r.url).pathname}`),
  };
}

/** A JSON answer. */
export function json(
  status: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/json', ...headers },
  });
}

/** A stored document answer with its ETag. */
export function doc(
  status: number,
  fields: Record<string, unknown>,
  headers: Record<string, string> = {},
) {
  return json(status, fields, { etag: `"${String(fields.version)}"`, ...headers });
}

/** An RFC 9457 problem answer of the given Concord code. */
export function problem(
  status: number,
  code: string,
  extensions: Record<string, unknown> = {},
  headers: Record<string, string> = {},
): Response {
  const body = {
    type: `/docs#problem-${code}`,
    title: code,
    status,
    detail: `detail of ${code}`,
    instance: '/v1/items/x',
    retryable: false,
    ...extensions,
  };
  return new Response(JSON.stringify(body), {
    status,
    headers: { 'content-type': 'application/problem+json', ...headers },
  });
}

/** A version-mismatch answer carrying the winner's state. */
export function versionMismatch(
  current: Record<string, unknown> & { version: number },
  status = 409,
) {
  return problem(status, 'version-mismatch', {
    current: { version: current.version, etag: `"${current.version}"`, document: current },
  });
}

/** Records requested waits and returns at once, so backoff is asserted without clocks. */
export function recordingSleep() {
  const delays: number[] = [];
  const sleep = async (ms: number) => {
    delays.push(ms);
  };
  return { delays, sleep };
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
