/**
 * Answers for requests Node's HTTP server refuses before any handler sees
 * them: a parser error (bad header, bad Content-Length or chunking, headers
 * over 16 KiB), an Expect it cannot meet, a CONNECT. Node's own answers are
 * empty-bodied or missing; like every other error of the API, these are
 * application/problem+json, and the connection is closed after them.
 */
import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Duplex } from 'node:stream';
import { PROBLEM_CONTENT_TYPE } from '../functions/http/problem';
import { type ProblemType, problemTypeUri } from '../functions/http/problem-types';

export interface Refusal {
  readonly status: number;
  readonly type: ProblemType;
  readonly title: string;
  readonly detail: string;
}

/** The problem document, as the API's error mapper would write it. */
export const problemBody = (refusal: Refusal, instance: string): string =>
  JSON.stringify({
    type: problemTypeUri(refusal.type),
    title: refusal.title,
    status: refusal.status,
    detail: refusal.detail,
    instance,
    // Only a server fault is worth retrying unchanged.
    retryable: refusal.status >= 500,
  });

/** What a parser error code means for the client. */
export const refusalFor = (error: NodeJS.ErrnoException & { reason?: string }): Refusal => {
  switch (error.code) {
    case 'HPE_HEADER_OVERFLOW':
      return {
        status: 431,
        type: 'request-header-fields-too-large',
        title: 'Request header fields too large',
        detail: 'the request line and headers exceed 16 KiB',
      };
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return {
        status: 413,
        type: 'payload-too-large',
        title: 'Payload too large',
        detail: 'chunk extensions are too large',
      };
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return {
        status: 408,
        type: 'request-timeout',
        title: 'Request timeout',
        detail: 'the request was not received in time',
      };
    default:
      return {
        status: 400,
        type: 'bad-request',
        title: 'Bad request',
        // llhttp's reasons name the fault without echoing the request.
        detail: `malformed HTTP request: ${error.reason ?? error.code ?? 'unparsable'}`,
      };
  }
};

/** The path of the request line in the bytes the parser refused, when it has one. */
const instanceOf = (raw: Buffer | undefined): string => {
  const target = /^[A-Za-z]+ (\/[\x21-\x7e]*) HTTP\//.exec(raw?.toString('latin1') ?? '')?.[1];
  return target?.split('?')[0] ?? '/';
};

/** Whether the refused bytes start a HEAD request, whose answer must not have a body. */
const isHead = (raw: Buffer | undefined): boolean => raw?.toString('latin1', 0, 5) === 'HEAD ';

/**
 * Writes a complete HTTP/1.1 problem answer on a raw socket and closes it,
 * unless the socket is gone or an answer has already started on it (then
 * only closes it: bytes of ours would corrupt that answer). The answer to
 * HEAD has the headers of the problem but not its body: a client reads none,
 * and would take the body's bytes for garbage after the answer.
 */
export const refuseOnSocket = (
  socket: Duplex,
  refusal: Refusal,
  instance: string,
  head = false,
): void => {
  // Node's own default handler makes the same check on the same field.
  const pending = (socket as Duplex & { _httpMessage?: ServerResponse })._httpMessage;
  if (!socket.writable || pending?.headersSent) {
    socket.destroy();
    return;
  }
  const body = problemBody(refusal, instance);
  const lines = [
    `HTTP/1.1 ${refusal.status} ${STATUS_CODES[refusal.status] ?? 'Error'}`,
    `content-type: ${PROBLEM_CONTENT_TYPE}`,
    `content-length: ${Buffer.byteLength(body)}`,
    'connection: close',
    'access-control-allow-origin: *',
  ];
  socket.end(`${lines.join('\r\n')}\r\n\r\n${head ? '' : body}`);
  // A client that never reads must not keep the socket open.
  setTimeout(() => socket.destroy(), 5_000).unref();
};

/** Installs the problem answers on `server` (created with `requireHostHeader: false`). */
export const answerRefusedRequests = (server: Server): void => {
  server.on('clientError', (error: NodeJS.ErrnoException & { rawPacket?: Buffer }, socket) => {
    // The client is gone: there is nobody to answer.
    if (error.code === 'ECONNRESET' || error.code === 'EPIPE') {
      socket.destroy();
      return;
    }
    refuseOnSocket(socket, refusalFor(error), instanceOf(error.rawPacket), isHead(error.rawPacket));
  });
  server.on('connect', (_req: IncomingMessage, socket: Duplex) => {
    socket.on('error', () => undefined);
    refuseOnSocket(
      socket,
      {
        status: 405,
        type: 'method-not-allowed',
        title: 'Method not allowed',
        detail: 'CONNECT is not supported: this is not a proxy',
      },
      '/',
    );
  });
  server.on('checkExpectation', (req: IncomingMessage, res: ServerResponse) => {
    req.resume();
    const body = problemBody(
      {
        status: 417,
        type: 'expectation-failed',
        title: 'Expectation failed',
        detail: 'the only expectation supported is "Expect: 100-continue"',
      },
      (req.url ?? '/').split('?')[0] ?? '/',
    );
    res.writeHead(417, {
      'content-type': PROBLEM_CONTENT_TYPE,
      'content-length': Buffer.byteLength(body),
      connection: 'close',
      'access-control-allow-origin': '*',
    });
    res.end(body);
  });
};
