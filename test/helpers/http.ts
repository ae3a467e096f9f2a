/** Small fetch helpers for tests that speak HTTP to the API. */
import { uniqueName } from './local-dynamo';

export interface Answer {
  readonly status: number;
  readonly headers: Headers;
  // biome-ignore lint/suspicious/noExplicitAny: test bodies are inspected loosely
  readonly body: any;
}

/** Sends one request; parses JSON and problem+json bodies. */
export const send = async (
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; raw?: string; headers?: Record<string, string> } = {},
): Promise<Answer> => {
  const hasBody = options.body !== undefined || options.raw !== undefined;
  const response = await fetch(`${baseUrl}${path}`, {
    method,
    headers: {
      ...(hasBody ? { 'content-type': 'application/json' } : {}),
      ...options.headers,
    },
    ...(hasBody ? { body: options.raw ?? JSON.stringify(options.body) } : {}),
  });
  const text = await response.text();
  const type = response.headers.get('content-type') ?? '';
  return {
    status: response.status,
    headers: response.headers,
    body: text && type.includes('json') ? JSON.parse(text) : text,
  };
};

export type SendOptions = NonNullable<Parameters<typeof send>[3]>;

/** `send` bound to a base URL and an API key's headers (which per-call headers may override). */
export const authedSender =
  (baseUrl: string, auth: Record<string, string>) =>
  (method: string, path: string, options: SendOptions = {}): Promise<Answer> =>
    send(baseUrl, method, path, { ...options, headers: { ...auth, ...options.headers } });

/** A fresh id per test, so tests never depend on each other. */
export const freshId = (): string => uniqueName('doc');

export const PROBLEM = 'application/problem+json';
export const problemType = (suffix: string): string => `/docs#problem-${suffix}`;
