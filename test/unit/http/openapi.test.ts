import { describe, expect, it } from 'vitest';
import { buildOpenApi } from '../../../functions/http/openapi';
import { routes } from '../../../functions/http/routes';

type Operation = {
  security?: unknown[];
  parameters?: Array<{ name: string }>;
  responses: Record<string, unknown>;
};
const document = buildOpenApi() as {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
};

describe('the OpenAPI document', () => {
  it('is OpenAPI 3.1', () => {
    expect(document.openapi).toBe('3.1.0');
  });

  it('describes every route of the route table and nothing else', () => {
    const described = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.keys(methods).map((method) => `${method.toUpperCase()} ${path}`),
    );
    expect(described.sort()).toEqual(routes.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('marks only the public routes as needing no API key', () => {
    for (const route of routes) {
      const operation = document.paths[route.path]?.[route.method.toLowerCase()];
      expect(operation?.security, `${route.method} ${route.path}`).toEqual(
        route.auth ? undefined : [],
      );
      if (route.auth) expect(Object.keys(operation?.responses ?? {})).toContain('401');
    }
  });

  it('documents the conflict answers of every write', () => {
    const writes = routes.filter(
      (r) =>
        (r.handler.startsWith('items.') || r.handler === 'versions.restore') &&
        ['PUT', 'PATCH', 'DELETE', 'POST'].includes(r.method),
    );
    for (const route of writes) {
      const responses = Object.keys(
        document.paths[route.path]?.[route.method.toLowerCase()]?.responses ?? {},
      );
      expect(responses).toEqual(expect.arrayContaining(['409', '412', '428', '429']));
      const parameters = document.paths[route.path]?.[route.method.toLowerCase()]?.parameters ?? [];
      expect(parameters.map((p) => p.name)).toContain('Idempotency-Key');
    }
  });
});
