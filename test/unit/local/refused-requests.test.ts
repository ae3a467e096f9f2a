/**
 * Requests Node's HTTP server refuses before the handler sees them, sent
 * byte for byte over raw sockets: each must still get a problem+json answer.
 */
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createLocalServer, type LocalServer } from '../../../local/server';

const handler = vi.fn(async () => ({ statusCode: 200, body: '{"ok":true}' }));
const log = vi.fn();
let server: LocalServer;

beforeAll(async () => {
  server = await createLocalServer({ handler, port: 0, log });
});
afterAll(() => server.close());

interface RawAnswer {
  readonly statusLine: string;
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string;
}

/** Sends `raw` as is and reads until the server closes the connection. */
const sendRaw = (raw: string | Buffer): Promise<RawAnswer> =>
  new Promise((resolve, reject) => {
    const socket = connect(server.port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', reject);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      if (split === -1) return reject(new Error(`no complete answer: ${JSON.stringify(text)}`));
      const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n');
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      resolve({
        statusLine,
        status: Number(statusLine.split(' ')[1]),
        headers,
        body: text.slice(split + 4),
      });
    });
    socket.write(raw);
  });

const expectProblem = (answer: RawAnswer, status: number, type: string, instance = '/') => {
  expect(answer.statusLine).toMatch(new RegExp(`^HTTP/1\\.1 ${status} [A-Z]`));
  expect(answer.headers['content-type']).toBe('application/problem+json');
  expect(answer.headers.connection).toBe('close');
  expect(Number(answer.headers['content-length'])).toBe(Buffer.byteLength(answer.body));
  const problem = JSON.parse(answer.body);
  expect(problem).toEqual({
    type: `/docs#problem-${type}`,
    title: expect.any(String),
    status,
    detail: expect.any(String),
    instance,
    retryable: false,
  });
  return problem;
};

const host = 'Host: 127.0.0.1\r\n';

describe('requests the HTTP parser refuses', () => {
  it.each([
    ['a control byte in a header value', `GET /v1/items HTTP/1.1\r\n${host}X-A: a\x01b\r\n\r\n`],
    ['a header line without a colon', `GET /v1/items HTTP/1.1\r\n${host}NoColonHere\r\n\r\n`],
    [
      'a Content-Length that is not a number',
      `POST /v1/items HTTP/1.1\r\n${host}Content-Length: abc\r\n\r\n`,
    ],
    [
      'two different Content-Lengths',
      `POST /v1/items HTTP/1.1\r\n${host}Content-Length: 1\r\nContent-Length: 2\r\n\r\nab`,
    ],
    [
      'Content-Length with chunked Transfer-Encoding',
      `POST /v1/items HTTP/1.1\r\n${host}Transfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n`,
    ],
    [
      'a chunk size that is not hexadecimal',
      `POST /v1/items HTTP/1.1\r\n${host}Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
    ],
    ['an unknown HTTP version', `GET /v1/items HTTP/9.9\r\n${host}\r\n`],
  ])('answers 400 problem+json to %s', async (_, raw) => {
    handler.mockClear();
    const problem = expectProblem(await sendRaw(raw), 400, 'bad-request', '/v1/items');
    expect(problem.detail).toMatch(/^malformed HTTP request: /);
    expect(handler).not.toHaveBeenCalled();
  });

  it('answers 400 problem+json to a request line it cannot read, with instance /', async () => {
    expectProblem(await sendRaw(`G@T /v1/items HTTP/1.1\r\n${host}\r\n`), 400, 'bad-request', '/');
  });

  it('answers 400 problem+json to an HTTP/1.1 request without Host', async () => {
    const problem = expectProblem(
      await sendRaw('GET /v1/items/a?x=1 HTTP/1.1\r\n\r\n'),
      400,
      'bad-request',
      '/v1/items/a',
    );
    expect(problem.detail).toMatch(/Host header/);
  });

  it('answers 431 problem+json to headers over 16 KiB', async () => {
    const big = `GET /v1/items HTTP/1.1\r\n${host}X-Big: ${'a'.repeat(17_000)}\r\n\r\n`;
    expectProblem(await sendRaw(big), 431, 'request-header-fields-too-large', '/v1/items');
  });

  it('answers HEAD with headers over 16 KiB with the problem headers and no body', async () => {
    const big = `HEAD /v1/items HTTP/1.1\r\n${host}X-Big: ${'a'.repeat(17_000)}\r\n\r\n`;
    const answer = await sendRaw(big);
    expect(answer.statusLine).toMatch(/^HTTP\/1\.1 431 /);
    expect(answer.headers['content-type']).toBe('application/problem+json');
    expect(answer.headers.connection).toBe('close');
    // The length a GET would have had, and nothing after the headers.
    expect(Number(answer.headers['content-length'])).toBeGreaterThan(0);
    expect(answer.body).toBe('');
  });

  it('answers 417 problem+json to an expectation other than 100-continue', async () => {
    handler.mockClear();
    const raw = `PUT /v1/items/a HTTP/1.1\r\n${host}Expect: 999-nope\r\nContent-Length: 2\r\n\r\n`;
    expectProblem(await sendRaw(raw), 417, 'expectation-failed', '/v1/items/a');
    expect(handler).not.toHaveBeenCalled();
  });

  it('answers 405 problem+json to CONNECT', async () => {
    const raw = 'CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n';
    expectProblem(await sendRaw(raw), 405, 'method-not-allowed');
  });

  it('never hands a body cut short by the client to the handler', async () => {
    handler.mockClear();
    await new Promise<void>((resolve) => {
      const socket = connect(server.port, '127.0.0.1', () => {
        socket.end(
          `PUT /v1/items/a HTTP/1.1\r\n${host}Content-Type: application/json\r\n` +
            'Content-Length: 100\r\n\r\n{"cut":',
        );
      });
      socket.on('error', () => undefined);
      socket.on('close', () => resolve());
      socket.resume();
    });
    expect(handler).not.toHaveBeenCalled();
  });

  it('keeps serving, and logs nothing, after refusing', async () => {
    await sendRaw(`GET /v1/items HTTP/1.1\r\n${host}X-A: \x7f\r\n\r\n`);
    const answer = await fetch(`${server.url}/v1/openapi.json`);
    expect(answer.status).toBe(200);
    expect(log).not.toHaveBeenCalled();
  });
});
