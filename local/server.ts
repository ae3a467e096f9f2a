/**
 * The local HTTP adapter: plays API Gateway (HTTP API, payload 2.0, CORS
 * preflight) in front of the same handler the Lambda functions export.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { preflightHeaders } from '../functions/http/cors';
import { PROBLEM_CONTENT_TYPE } from '../functions/http/problem';
import type { ProblemType } from '../functions/http/problem-types';
import { matchRoute } from '../functions/http/route-match';
import type { Route } from '../functions/http/routes';
import { toApiGatewayEvent } from './api-gateway-event';
import { answerRefusedRequests, problemBody } from './refused-requests';

export type LocalHandler = (
  event: APIGatewayProxyEventV2,
  context: Context,
) => Promise<APIGatewayProxyStructuredResultV2>;

export interface LocalServerOptions {
  readonly handler: LocalHandler;
  /** Default 127.0.0.1: the local API is for this machine only. */
  readonly host?: string;
  /** 0 picks a free port. Default 3000. */
  readonly port?: number;
  /** Largest request body in bytes; API Gateway's own limit is 10 MB. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** Route table override, for tests of the adapter itself. */
  readonly routes?: readonly Route[];
  /** Where handler failures are reported. Default console.error. */
  readonly log?: (message: string, error: unknown) => void;
}

export interface LocalServer {
  readonly server: Server;
  /** e.g. `http://127.0.0.1:3000` */
  readonly url: string;
  readonly port: number;
  /** Stops accepting, ends idle keep-alive connections, resolves once closed. */
  close(): Promise<void>;
}

/** Thrown when the port is taken, with a message fit to show as is. */
export class PortInUseError extends Error {
  constructor(port: number, host: string, options?: ErrorOptions) {
    super(
      `port ${port} is in use on ${host}; set PORT=<another port> (or PORT=0 for any)`,
      options,
    );
    this.name = 'PortInUseError';
  }
}

/** Prefix of the problem `type` URIs the adapter itself answers with. */
// Draining a refused body beyond this would let one client tie up the server.
const MAX_DRAIN_BYTES = 64 * 1024 * 1024;
const LAMBDA_TIMEOUT_MS = 29_000;

const problem = (
  res: ServerResponse,
  status: number,
  type: ProblemType,
  title: string,
  detail: string,
  instance: string,
  headers: Record<string, string> = {},
): void => {
  const body = problemBody({ status, type, title, detail }, instance);
  res.writeHead(status, {
    'content-type': PROBLEM_CONTENT_TYPE,
    'content-length': Buffer.byteLength(body),
    'access-control-allow-origin': '*',
    ...headers,
  });
  res.end(body);
};

/**
 * Reads the body up to `limit` bytes; beyond that drains the rest and
 * answers 'too-large'. 'aborted' when the body never arrived whole (the
 * client left, or the parser refused it and has answered already).
 */
const readBody = (req: IncomingMessage, limit: number): Promise<Buffer | 'too-large' | 'aborted'> =>
  new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= limit) chunks.push(chunk);
      else if (size > MAX_DRAIN_BYTES) req.destroy();
    });
    req.on('end', () => resolve(size <= limit ? Buffer.concat(chunks) : 'too-large'));
    req.on('error', () => resolve('aborted'));
    // After 'end' this changes nothing; before it, a truncated body must not reach a handler.
    req.on('close', () => resolve(size > limit ? 'too-large' : 'aborted'));
  });

const lambdaContext = (requestId: string): Context => {
  const deadline = Date.now() + LAMBDA_TIMEOUT_MS;
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName: 'concord-local',
    functionVersion: '$LATEST',
    invokedFunctionArn: 'arn:aws:lambda:local:000000000000:function:concord-local',
    memoryLimitInMB: '1024',
    awsRequestId: requestId,
    logGroupName: '/aws/lambda/concord-local',
    logStreamName: 'local',
    getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
};

const send = (res: ServerResponse, method: string, result: APIGatewayProxyStructuredResultV2) => {
  const headers: Record<string, string | string[]> = {};
  for (const [name, value] of Object.entries(result.headers ?? {})) headers[name] = String(value);
  if (result.cookies?.length) headers['set-cookie'] = result.cookies;
  const body =
    result.body === undefined
      ? Buffer.alloc(0)
      : Buffer.from(result.body, result.isBase64Encoded ? 'base64' : 'utf8');
  const status = result.statusCode ?? 200;
  const bodiless = method === 'HEAD' || status === 204 || status === 304;
  // A HEAD answer keeps the length the GET would have, when the handler gave one.
  if (!bodiless) headers['content-length'] = String(body.length);
  res.writeHead(status, headers);
  res.end(bodiless ? undefined : body);
};

/** The request listener, separate from listening so tests can reuse it. */
export const createRequestListener = (options: LocalServerOptions) => {
  const { handler, maxBodyBytes = 1024 * 1024, routes } = options;
  const log = options.log ?? ((message, error) => console.error(message, error));
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const method = (req.method ?? 'GET').toUpperCase();
    const url = req.url ?? '/';
    const path = url.split('?')[0] ?? '/';
    const requestId = randomUUID();
    res.setHeader('apigw-requestid', requestId);

    // Node would answer this itself, with an empty body (requireHostHeader).
    if (req.httpVersion === '1.1' && !req.headers.host) {
      req.resume();
      const detail = 'an HTTP/1.1 request needs a Host header';
      return problem(res, 400, 'bad-request', 'Bad request', detail, path, { connection: 'close' });
    }
    // API Gateway answers CORS preflight itself (corsPreflight), before any route.
    if (method === 'OPTIONS') {
      req.resume();
      res.writeHead(204, preflightHeaders());
      res.end();
      return;
    }
    const match = matchRoute(method, path, routes);
    if (match.kind !== 'matched') req.resume();
    if (match.kind === 'bad-path') {
      return problem(res, 400, 'bad-request', 'Bad request', 'malformed path', path);
    }
    if (match.kind === 'not-found') {
      return problem(res, 404, 'not-found', 'Not found', `no route for ${path}`, path);
    }
    if (match.kind === 'method-not-allowed') {
      const allow = match.allow.join(', ');
      return problem(
        res,
        405,
        'method-not-allowed',
        'Method not allowed',
        `allowed: ${allow}`,
        path,
        {
          allow,
        },
      );
    }

    const body = await readBody(req, maxBodyBytes);
    if (body === 'aborted') {
      res.destroy();
      return;
    }
    if (body === 'too-large') {
      const detail = `request body exceeds ${maxBodyBytes} bytes`;
      return problem(res, 413, 'payload-too-large', 'Payload too large', detail, path, {
        connection: 'close',
      });
    }
    const event = toApiGatewayEvent(
      { method, url, headers: req.headersDistinct, body, sourceIp: req.socket.remoteAddress ?? '' },
      match,
      requestId,
    );
    let result: APIGatewayProxyStructuredResultV2;
    try {
      result = await handler(event, lambdaContext(requestId));
    } catch (error) {
      log(`handler failed for ${match.routeKey} (${requestId}):`, error);
      const detail = 'The server could not complete the request.';
      return problem(res, 500, 'internal', 'Internal server error', detail, path);
    }
    send(res, method, result);
  };
};

/**
 * Serves `handler` over HTTP and resolves once listening.
 *
 * @throws {PortInUseError} when the port is taken
 */
export const createLocalServer = async (options: LocalServerOptions): Promise<LocalServer> => {
  const { host = '127.0.0.1', port = 3000 } = options;
  const listener = createRequestListener(options);
  const log = options.log ?? ((message, error) => console.error(message, error));
  // Missing Host is answered by the listener, as problem+json like the rest.
  const server = createServer({ requireHostHeader: false }, (req, res) => {
    listener(req, res).catch((error: unknown) => {
      log('local server failed to answer:', error);
      if (!res.headersSent) problem(res, 500, 'internal', 'Internal server error', '', '');
      else res.destroy();
    });
  });
  answerRefusedRequests(server);
  await new Promise<void>((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) =>
      reject(
        error.code === 'EADDRINUSE' ? new PortInUseError(port, host, { cause: error }) : error,
      ),
    );
    server.listen(port, host, () => resolve());
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    server,
    url: `http://${shownHost}:${address.port}`,
    port: address.port,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.close((error) => (error ? reject(error) : resolve()));
        server.closeIdleConnections();
        // A client that holds a request open must not block shutdown forever.
        setTimeout(() => server.closeAllConnections(), 2_000).unref();
      }),
  };
};
