/**
 * CORS settings, defined once: the CDK stack configures API Gateway's
 * preflight with them, the local server answers preflight with them, and the
 * handlers add them to every response.
 */
export const CORS = {
  allowOrigins: ['*'],
  allowMethods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
  allowHeaders: [
    'Authorization',
    'Content-Type',
    'If-Match',
    'If-None-Match',
    'If-Modified-Since',
    'If-Unmodified-Since',
    'Idempotency-Key',
    'Lock-Token',
  ],
  exposeHeaders: [
    'ETag',
    'Location',
    'Retry-After',
    'RateLimit',
    'RateLimit-Policy',
    'Idempotent-Replayed',
    'Concord-Write-Outcome',
    'Concord-Merge-Rules',
    'Lock-Token',
    'WWW-Authenticate',
    'Server-Timing',
  ],
  maxAgeSeconds: 600,
} as const;

/** The Lambda environment variable that narrows `allowOrigins` per deployment (comma-separated). */
export const CORS_ORIGINS_ENV = 'CONCORD_CORS_ORIGINS';

/** What every CORS answer carries besides the allowed origin, a preflight's or not. */
export const corsHeaders = (): Record<string, string> => ({
  'Access-Control-Allow-Headers': CORS.allowHeaders.join(','),
  'Access-Control-Allow-Methods': CORS.allowMethods.join(','),
  'Access-Control-Expose-Headers': CORS.exposeHeaders.join(','),
  'Access-Control-Max-Age': String(CORS.maxAgeSeconds),
});

/** Headers of a preflight (OPTIONS) answer, for hosts that do not answer it themselves. */
export const preflightHeaders = (): Record<string, string> => ({
  'Access-Control-Allow-Origin': CORS.allowOrigins.join(','),
  ...corsHeaders(),
});
