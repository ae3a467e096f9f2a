import type middy from '@middy/core';
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { HttpProfile } from '../core/config';
import { DomainError } from '../core/errors';
import { CORS, corsHeaders } from './cors';
import { problemResponse } from './problem';

type Request = middy.Request<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;
type Middleware = middy.MiddlewareObj<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>;

/**
 * CORS headers on every answer, errors included, from the shared settings.
 * Origins are `*` or exact origins (the deployment settings allow nothing
 * else), so this is a lookup: an allowed `Origin` is echoed with
 * `Vary: Origin`, any other gets no `Access-Control-Allow-Origin`.
 */
export const cors = (origins: readonly string[] = CORS.allowOrigins): Middleware => {
  const anyOrigin = origins.includes('*');
  const allowed = new Set(origins.map((origin) => origin.toLowerCase()));
  const fixed = corsHeaders();
  const add = async (request: Request) => {
    const response = request.response;
    if (!response) return;
    const headers: Record<string, string | number | boolean> = { ...fixed };
    if (anyOrigin) {
      headers['Access-Control-Allow-Origin'] = '*';
    } else {
      const origin = request.event.headers?.origin;
      if (origin !== undefined && allowed.has(origin.toLowerCase())) {
        headers['Access-Control-Allow-Origin'] = origin;
      }
      // The answer depends on the Origin asked with, so caches must key on it.
      headers.Vary = 'Origin';
    }
    response.headers = { ...headers, ...response.headers };
  };
  return { after: add, onError: add };
};

/** Turns every thrown value into problem+json; logs the ones that are the server's fault. */
export const problems = (profile: HttpProfile): Middleware => ({
  onError: async (request: Request) => {
    const { error } = request;
    const expected = error instanceof DomainError;
    if (!expected || error.code === 'unavailable') {
      // Outages are expected and logged without a stack; anything else is a bug.
      console.error(
        JSON.stringify({
          level: expected ? 'warn' : 'error',
          routeKey: request.event.routeKey,
          requestId: request.event.requestContext?.requestId,
          error: error instanceof Error ? error.name : String(error),
          message: error instanceof Error ? error.message : undefined,
          cause:
            error instanceof Error && error.cause instanceof Error ? error.cause.name : undefined,
          ...(expected ? {} : { stack: error instanceof Error ? error.stack : undefined }),
        }),
      );
    }
    const collection = request.event.pathParameters?.collection;
    request.response = problemResponse(error, {
      profile,
      instance: request.event.rawPath ?? '/',
      ...(collection ? { collectionPath: `/v1/${encodeURIComponent(collection)}` } : {}),
    });
  },
});

/** HEAD answers carry the headers of the GET answer and no body. */
export const headWithoutBody = (): Middleware => {
  const strip = async (request: Request) => {
    const response = request.response;
    if (!response || request.event.requestContext?.http?.method !== 'HEAD') return;
    request.response = { ...response, body: '' };
  };
  return { after: strip, onError: strip };
};
