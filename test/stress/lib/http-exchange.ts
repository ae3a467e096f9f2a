/**
 * One HTTP request sent exactly as given (raw path, repeated headers, any
 * body) with node:http, and its answer with the time it took. `fetch` would
 * normalise dot segments and refuse odd headers, which is what the fuzzer
 * needs to send.
 */
import { Agent, type OutgoingHttpHeaders, request } from 'node:http';

export interface Exchange {
  readonly method: string;
  /** Raw request target, sent as is: `/v1/items/..%2f?limit=x`. */
  readonly path: string;
  /** Header name and value pairs; a name may repeat. */
  readonly headers?: readonly (readonly [string, string])[];
  readonly body?: Buffer | string;
}

export interface ExchangeAnswer {
  readonly status: number;
  /** Lowercase names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: Buffer;
  /** From sending the request to the last byte of the answer. */
  readonly elapsedMs: number;
}

/** A keep-alive agent for a fixed number of parallel connections. */
export const exchangeAgent = (connections: number): Agent =>
  new Agent({ keepAlive: true, maxSockets: connections });

/** Sends one request; rejects on a connection error or after `timeoutMs` without an answer. */
export const exchange = (
  baseUrl: string,
  agent: Agent,
  { method, path, headers = [], body }: Exchange,
  timeoutMs = 30_000,
): Promise<ExchangeAnswer> => {
  const url = new URL(baseUrl);
  const outgoing: OutgoingHttpHeaders = {};
  for (const [name, value] of headers) {
    const existing = outgoing[name];
    outgoing[name] =
      existing === undefined
        ? value
        : [...(Array.isArray(existing) ? existing : [String(existing)]), value];
  }
  if (body !== undefined && outgoing['content-length'] === undefined) {
    outgoing['content-length'] = String(Buffer.byteLength(body));
  }
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const req = request(
      { host: url.hostname, port: url.port, method, path, headers: outgoing, agent },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('error', reject);
        res.on('end', () => {
          const answerHeaders: Record<string, string> = {};
          for (const [name, value] of Object.entries(res.headersDistinct)) {
            if (value) answerHeaders[name] = value.join(', ');
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: answerHeaders,
            body: Buffer.concat(chunks),
            elapsedMs: performance.now() - started,
          });
        });
      },
    );
    req.setTimeout(timeoutMs, () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
    req.on('error', reject);
    req.end(body);
  });
};
