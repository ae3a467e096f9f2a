/**
 * Sends one logical request: builds the fetch call, retries it under the retry
 * policy, and turns the answer into parsed JSON or a typed error. Knows nothing
 * about documents; `concord-client.ts` does.
 */
import { type CallScope, untilAborted } from './call-scope.js';
import { ConcordError, InvalidResponseError, NetworkError } from './errors.js';
import { errorFromResponse } from './problem.js';
import { retryDelay } from './retry.js';
import type { FetchLike, RetryPolicy, SleepFn } from './types.js';

export type HttpMethod = 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface RequestSpec {
  method: HttpMethod;
  /** Path below the base URL, already encoded, e.g. `/v1/items/abc`. */
  path: string;
  query?: Record<string, string | number | undefined>;
  headers?: Record<string, string>;
  /** Serialized as JSON once; every retry sends the same bytes. */
  body?: unknown;
  contentType?: string;
  idempotencyKey?: string | undefined;
  /** The server makes a repeat of this request harmless (it may be sent again after a lost answer). */
  repeatable?: boolean;
}

export interface RawResponse {
  status: number;
  headers: Headers;
  /** Parsed JSON body, `undefined` when empty (204, 304). */
  body: unknown;
}

export interface TransportConfig {
  baseUrl: string;
  apiKey: string | undefined;
  fetch: FetchLike;
  retry: RetryPolicy;
  random: () => number;
  sleep: SleepFn;
}

export class Transport {
  readonly #config: TransportConfig;
  readonly #baseUrl: string;

  constructor(config: TransportConfig) {
    this.#config = config;
    this.#baseUrl = config.baseUrl.replace(/\/+$/, '');
  }

  /** Sends `spec`, retrying per policy; rejects with a {@link ConcordError}. */
  async send(spec: RequestSpec, scope: CallScope): Promise<RawResponse> {
    const url = this.#url(spec);
    const init = this.#init(spec);
    // Only requests that cannot take effect twice may be repeated after an unknown outcome.
    const repeatable =
      spec.method === 'GET' ||
      spec.method === 'HEAD' ||
      spec.idempotencyKey !== undefined ||
      spec.repeatable === true;
    const { retry: policy, random } = this.#config;

    for (let retry = 0; ; retry++) {
      const outcome = await this.#attempt(url, init, scope);
      if (!(outcome instanceof ConcordError)) return outcome;
      const delay = retryDelay(outcome, retry, repeatable, policy, random);
      // A wait that would outlast the deadline ends in the real error, not a timeout.
      if (delay === undefined || delay > scope.remainingMs()) throw outcome;
      await this.#wait(delay, scope);
    }
  }

  async #attempt(url: string, init: RequestInit, scope: CallScope) {
    const signal = scope.signal;
    try {
      const response = await untilAborted(this.#config.fetch(url, { ...init, signal }), signal);
      const text = await untilAborted(response.text(), signal);
      if (response.ok || response.status === 304) {
        return {
          status: response.status,
          headers: response.headers,
          body: parseBody(text, response.status),
        };
      }
      return errorFromResponse(response.status, response.headers, text);
    } catch (error) {
      scope.throwIfAborted();
      if (error instanceof ConcordError) throw error;
      return new NetworkError(error);
    }
  }

  async #wait(ms: number, scope: CallScope): Promise<void> {
    try {
      await untilAborted(this.#config.sleep(ms, scope.signal), scope.signal);
    } catch (error) {
      scope.throwIfAborted();
      throw error;
    }
  }

  #url(spec: RequestSpec): string {
    const params = new URLSearchParams();
    for (const [name, value] of Object.entries(spec.query ?? {})) {
      if (value !== undefined) params.set(name, String(value));
    }
    const query = params.toString();
    return `${this.#baseUrl}${spec.path}${query ? `?${query}` : ''}`;
  }

  #init(spec: RequestSpec): RequestInit {
    const headers: Record<string, string> = {
      accept: 'application/json, application/problem+json',
      ...spec.headers,
    };
    if (this.#config.apiKey !== undefined) headers.authorization = `Bearer ${this.#config.apiKey}`;
    if (spec.idempotencyKey !== undefined) headers['idempotency-key'] = spec.idempotencyKey;
    const init: RequestInit = { method: spec.method, headers };
    if (spec.body !== undefined) {
      headers['content-type'] = spec.contentType ?? 'application/json';
      init.body = JSON.stringify(spec.body);
    }
    return init;
  }
}

function parseBody(text: string, status: number): unknown {
  if (text === '') return undefined;
  try {
    return JSON.parse(text);
  } catch (cause) {
    throw new InvalidResponseError({
      status,
      code: 'invalid-response',
      title: 'The server answered with a body that is not JSON',
      detail: text.slice(0, 200),
      retryable: false,
      cause,
    });
  }
}
