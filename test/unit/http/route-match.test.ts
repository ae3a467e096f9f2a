import { describe, expect, it } from 'vitest';
import { matchRoute } from '../../../functions/http/route-match';
import type { Route } from '../../../functions/http/routes';

const route = (method: Route['method'], path: string): Route => ({
  method,
  path,
  handler: 'items.get',
  group: 'read',
  auth: true,
  summary: path,
});

describe('matchRoute against the project route table', () => {
  it('prefers the literal GET /v1/openapi.json over GET /v1/{collection}', () => {
    const match = matchRoute('GET', '/v1/openapi.json');
    expect(match).toMatchObject({ kind: 'matched', routeKey: 'GET /v1/openapi.json' });
  });

  it('binds collection and id and sets the route key of the table entry', () => {
    expect(matchRoute('PATCH', '/v1/items/abc')).toEqual({
      kind: 'matched',
      route: expect.objectContaining({ method: 'PATCH', path: '/v1/{collection}/{id}' }),
      routeKey: 'PATCH /v1/{collection}/{id}',
      pathParameters: { collection: 'items', id: 'abc' },
    });
  });

  it('URL-decodes path parameters, keeping an encoded slash inside its segment', () => {
    const match = matchRoute('GET', '/v1/items/a%2Fb%20c');
    expect(match).toMatchObject({ pathParameters: { collection: 'items', id: 'a/b c' } });
  });

  it('answers not-found for a path no route has', () => {
    expect(matchRoute('GET', '/v2/items')).toEqual({ kind: 'not-found' });
    expect(matchRoute('GET', '/v1/items/a/b/c/d')).toEqual({ kind: 'not-found' });
  });

  it('never binds a parameter to an empty segment', () => {
    expect(matchRoute('GET', '/v1/items/')).toEqual({ kind: 'not-found' });
  });

  it('answers method-not-allowed with the methods the path has', () => {
    const match = matchRoute('DELETE', '/v1/items');
    expect(match.kind).toBe('method-not-allowed');
    if (match.kind === 'method-not-allowed') {
      expect([...match.allow].sort()).toEqual(['GET', 'HEAD', 'OPTIONS', 'POST']);
    }
  });

  it('flags malformed percent-encoding', () => {
    expect(matchRoute('GET', '/v1/items/%E0%A4%A')).toEqual({ kind: 'bad-path' });
  });
});

describe('matchRoute specificity', () => {
  const table = [
    route('GET', '/a/{x}/{y}'),
    route('GET', '/a/{x}/c'),
    route('GET', '/a/b/{y}'),
    route('POST', '/a/b/c'),
  ];

  it('ranks a literal earlier in the path above one later in it', () => {
    expect(matchRoute('GET', '/a/b/c', table)).toMatchObject({ routeKey: 'GET /a/b/{y}' });
  });

  it('uses the literal route for its method only, as API Gateway does', () => {
    expect(matchRoute('POST', '/a/b/c', table)).toMatchObject({ routeKey: 'POST /a/b/c' });
    expect(matchRoute('GET', '/a/z/c', table)).toMatchObject({ routeKey: 'GET /a/{x}/c' });
    expect(matchRoute('GET', '/a/z/q', table)).toMatchObject({ routeKey: 'GET /a/{x}/{y}' });
  });

  it('matches the method case-insensitively', () => {
    expect(matchRoute('post', '/a/b/c', table)).toMatchObject({ kind: 'matched' });
  });
});
