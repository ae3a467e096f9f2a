/**
 * Matches a request against THE route table the way API Gateway does: the
 * route's method first, then the most specific path, where a literal segment
 * beats a `{param}` segment (`/v1/openapi.json` beats `/v1/{collection}`).
 */
import { routes as defaultRoutes, type Route, routeKey } from './routes';

export type RouteMatchResult =
  | {
      readonly kind: 'matched';
      readonly route: Route;
      readonly routeKey: string;
      readonly pathParameters: Record<string, string>;
    }
  /** The path is known but not with this method; `allow` lists the methods it has. */
  | { readonly kind: 'method-not-allowed'; readonly allow: readonly string[] }
  | { readonly kind: 'not-found' }
  /** A segment is not valid percent-encoding. */
  | { readonly kind: 'bad-path' };

const PARAM = /^\{([A-Za-z0-9_]+)\}$/;

/**
 * Splits a raw path into decoded segments. Splitting before decoding keeps an
 * encoded `%2F` inside its segment, as API Gateway does.
 */
const decodeSegments = (rawPath: string): string[] | undefined => {
  try {
    return rawPath.split('/').slice(1).map(decodeURIComponent);
  } catch {
    return undefined;
  }
};

/** Path parameters when the template fits the segments, else undefined. */
const bind = (
  template: string,
  segments: readonly string[],
): Record<string, string> | undefined => {
  const parts = template.split('/').slice(1);
  if (parts.length !== segments.length) return undefined;
  const params: Record<string, string> = {};
  for (const [i, part] of parts.entries()) {
    const segment = segments[i] ?? '';
    const name = PARAM.exec(part)?.[1];
    if (name !== undefined) {
      // API Gateway never binds a parameter to an empty segment.
      if (segment === '') return undefined;
      params[name] = segment;
    } else if (part !== segment) {
      return undefined;
    }
  }
  return params;
};

/** Negative when `a` is more specific: compared segment by segment, literals first. */
const bySpecificity = (a: string, b: string): number => {
  const pa = a.split('/');
  const pb = b.split('/');
  for (let i = 0; i < Math.min(pa.length, pb.length); i++) {
    const la = !PARAM.test(pa[i] ?? '');
    const lb = !PARAM.test(pb[i] ?? '');
    if (la !== lb) return la ? -1 : 1;
  }
  return 0;
};

/**
 * Finds the route for `method` and `rawPath` (no query string).
 *
 * @param table the route table; THE table by default, a custom one in tests
 */
export const matchRoute = (
  method: string,
  rawPath: string,
  table: readonly Route[] = defaultRoutes,
): RouteMatchResult => {
  const segments = decodeSegments(rawPath);
  if (!segments) return { kind: 'bad-path' };
  const fitting = table
    .map((route) => ({ route, params: bind(route.path, segments) }))
    .filter((entry): entry is { route: Route; params: Record<string, string> } => !!entry.params);
  if (fitting.length === 0) return { kind: 'not-found' };

  const best = fitting
    .filter(({ route }) => route.method === method.toUpperCase())
    .sort((a, b) => bySpecificity(a.route.path, b.route.path))[0];
  if (best) {
    return {
      kind: 'matched',
      route: best.route,
      routeKey: routeKey(best.route),
      pathParameters: best.params,
    };
  }
  const allow = [...new Set([...fitting.map(({ route }) => route.method), 'OPTIONS'])];
  return { kind: 'method-not-allowed', allow };
};
