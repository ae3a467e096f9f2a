/**
 * Builds the API Gateway HTTP API (payload format 2.0) event for a local
 * request, with the same normalisations API Gateway applies, so handlers
 * cannot tell the local server from the deployed API.
 */
import { isUtf8 } from 'node:buffer';
import type { APIGatewayProxyEventV2 } from 'aws-lambda';

export interface LocalRequest {
  readonly method: string;
  /** Path and query exactly as received, e.g. `/v1/items?limit=2`. */
  readonly url: string;
  /** Header name → every value received, as Node's `headersDistinct`. */
  readonly headers: Record<string, readonly string[] | undefined>;
  readonly body: Buffer;
  readonly sourceIp: string;
}

export interface RouteBinding {
  readonly routeKey: string;
  readonly pathParameters: Record<string, string>;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const pad = (n: number): string => String(n).padStart(2, '0');

/** API Gateway's `requestContext.time` format: `22/Nov/2025:02:04:00 +0000`. */
const clf = (date: Date): string =>
  `${pad(date.getUTCDate())}/${MONTHS[date.getUTCMonth()]}/${date.getUTCFullYear()}:` +
  `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}:${pad(date.getUTCSeconds())} +0000`;

const decode = (text: string): string => {
  try {
    return decodeURIComponent(text.replace(/\+/g, ' '));
  } catch {
    return text;
  }
};

/** Repeated keys are joined with a comma, as API Gateway does in payload 2.0. */
export const parseQuery = (rawQueryString: string): Record<string, string> | undefined => {
  if (rawQueryString === '') return undefined;
  const params: Record<string, string> = {};
  for (const pair of rawQueryString.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decode(eq === -1 ? pair : pair.slice(0, eq));
    const value = eq === -1 ? '' : decode(pair.slice(eq + 1));
    params[key] = key in params ? `${params[key]},${value}` : value;
  }
  return Object.keys(params).length > 0 ? params : undefined;
};

/**
 * The event for one request. Header names are lowercase and repeated headers
 * joined with ", "; cookies move to `cookies`; a body that is not valid
 * UTF-8 travels base64-encoded with `isBase64Encoded: true`.
 */
export const toApiGatewayEvent = (
  request: LocalRequest,
  binding: RouteBinding,
  requestId: string,
  now: Date = new Date(),
): APIGatewayProxyEventV2 => {
  const queryAt = request.url.indexOf('?');
  const rawPath = queryAt === -1 ? request.url : request.url.slice(0, queryAt);
  const rawQueryString = queryAt === -1 ? '' : request.url.slice(queryAt + 1);

  const headers: Record<string, string> = {};
  let cookies: string[] | undefined;
  for (const [name, values] of Object.entries(request.headers)) {
    if (!values || values.length === 0) continue;
    if (name === 'cookie') {
      cookies = values.flatMap((v) => v.split(';').map((c) => c.trim())).filter(Boolean);
      continue;
    }
    headers[name.toLowerCase()] = values.join(', ');
  }

  const hasBody = request.body.length > 0;
  const text = hasBody && isUtf8(request.body);
  const queryStringParameters = parseQuery(rawQueryString);
  const hasParams = Object.keys(binding.pathParameters).length > 0;
  const method = request.method.toUpperCase();

  return {
    version: '2.0',
    routeKey: binding.routeKey,
    rawPath,
    rawQueryString,
    ...(cookies && cookies.length > 0 ? { cookies } : {}),
    headers,
    ...(queryStringParameters ? { queryStringParameters } : {}),
    ...(hasParams ? { pathParameters: { ...binding.pathParameters } } : {}),
    requestContext: {
      accountId: 'local',
      apiId: 'local',
      domainName: headers.host ?? 'localhost',
      domainPrefix: (headers.host ?? 'localhost').split('.')[0] ?? 'localhost',
      http: {
        method,
        path: rawPath,
        protocol: 'HTTP/1.1',
        sourceIp: request.sourceIp,
        userAgent: headers['user-agent'] ?? '',
      },
      requestId,
      routeKey: binding.routeKey,
      stage: '$default',
      time: clf(now),
      timeEpoch: now.getTime(),
    },
    ...(hasBody ? { body: request.body.toString(text ? 'utf8' : 'base64') } : {}),
    isBase64Encoded: hasBody && !text,
  };
};
