import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/core/config';
import { docsPage } from '../../../functions/http/docs-page';
import { buildOpenApi } from '../../../functions/http/openapi';
import { STATUS } from '../../../functions/http/problem';
import { PROBLEM_GUIDE } from '../../../functions/http/problem-types';
import { routes } from '../../../functions/http/routes';

type Response = {
  description: string;
  headers?: Record<string, unknown>;
  content?: Record<string, unknown>;
};
type Operation = {
  security?: unknown[];
  tags?: string[];
  parameters?: Array<{ name: string; in: string }>;
  requestBody?: { content: Record<string, unknown> };
  responses: Record<string, Response>;
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

  const operationOf = (route: (typeof routes)[number]): Operation => {
    const operation = document.paths[route.path]?.[route.method.toLowerCase()];
    if (!operation) throw new Error(`${route.method} ${route.path} is not described`);
    return operation;
  };

  it('documents 405 and the generic 500 on every route, and 429 and 503 on every keyed one', () => {
    for (const route of routes) {
      const statuses = Object.keys(operationOf(route).responses);
      expect(statuses, `${route.method} ${route.path}`).toEqual(
        expect.arrayContaining(['405', '500', ...(route.auth ? ['401', '429', '503'] : [])]),
      );
      expect(operationOf(route).tags?.length).toBe(1);
    }
  });

  it('names the response headers: validators, rate limits, Retry-After, WWW-Authenticate', () => {
    const headersOf = (route: (typeof routes)[number], status: string) =>
      Object.keys(operationOf(route).responses[status]?.headers ?? {});
    for (const route of routes.filter((r) => r.auth)) {
      const success = Object.keys(operationOf(route).responses).find((s) => s.startsWith('2'));
      expect(headersOf(route, success ?? ''), `${route.method} ${route.path}`).toEqual(
        expect.arrayContaining(['RateLimit', 'RateLimit-Policy']),
      );
      expect(headersOf(route, '429')).toEqual(
        expect.arrayContaining(['Retry-After', 'RateLimit', 'RateLimit-Policy']),
      );
      expect(headersOf(route, '401')).toContain('WWW-Authenticate');
      expect(headersOf(route, '503')).toContain('Retry-After');
    }
    const get = routes.find((r) => r.handler === 'items.get' && r.method === 'GET');
    if (!get) throw new Error('no GET of a document');
    expect(headersOf(get, '200')).toEqual(expect.arrayContaining(['ETag', 'Last-Modified']));
    const create = routes.find((r) => r.handler === 'items.create');
    if (!create) throw new Error('no create');
    expect(headersOf(create, '201')).toEqual(
      expect.arrayContaining(['ETag', 'Location', 'Idempotent-Replayed']),
    );
  });

  it('gives HEAD the answers of GET, without bodies', () => {
    for (const head of routes.filter((r) => r.method === 'HEAD')) {
      const get = routes.find((r) => r.method === 'GET' && r.path === head.path);
      if (!get) throw new Error(`HEAD ${head.path} without GET`);
      const answers = operationOf(head).responses;
      expect(Object.keys(answers)).toEqual(Object.keys(operationOf(get).responses));
      for (const answer of Object.values(answers)) expect(answer.content).toBeUndefined();
    }
  });

  it('types patches by media type: merge patch objects and JSON Patch operations', () => {
    const patch = routes.find((r) => r.handler === 'items.patch');
    if (!patch) throw new Error('no patch route');
    expect(operationOf(patch).requestBody?.content).toEqual({
      'application/merge-patch+json': { schema: { $ref: '#/components/schemas/MergePatch' } },
      'application/json-patch+json': { schema: { $ref: '#/components/schemas/JsonPatch' } },
    });
  });

  it("links each problem answer's types to their explanations, and each explanation exists", () => {
    const page = docsPage();
    for (const route of routes) {
      for (const [status, answer] of Object.entries(operationOf(route).responses)) {
        if (Number(status) < 400) continue;
        const links = [...answer.description.matchAll(/\]\((\/docs#problem-[a-z-]+)\)/g)];
        expect(links.length, `${route.method} ${route.path} ${status}`).toBeGreaterThan(0);
        for (const [, link] of links) expect(page).toContain(`id="${link?.split('#')[1]}"`);
      }
    }
    // Every error code of the error mapper has its explanation.
    for (const code of Object.keys(STATUS)) expect(Object.keys(PROBLEM_GUIDE)).toContain(code);
  });

  it("names a configuration's collections and the schema of each collection that declares one", () => {
    const example = parseConfig(
      JSON.parse(readFileSync(new URL('../../../concord.example.json', import.meta.url), 'utf8')),
    );
    const configured = buildOpenApi(example) as typeof document & {
      components: { schemas: Record<string, { anyOf?: unknown[]; allOf?: unknown[] }> };
    };
    const parameters = (configured.paths['/v1/{collection}/{id}']?.get?.parameters ?? []) as Array<{
      name: string;
      schema?: unknown;
    }>;
    expect(parameters.find((p) => p.name === 'collection')?.schema).toEqual({
      type: 'string',
      enum: ['items', 'people', 'scratch'],
    });
    expect(configured.components.schemas['Document.people']?.allOf).toEqual([
      { $ref: '#/components/schemas/GenericDocument' },
      { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
    ]);
    expect(configured.components.schemas.Document?.anyOf).toEqual([
      { $ref: '#/components/schemas/GenericDocument' },
      { $ref: '#/components/schemas/Document.people' },
    ]);
  });
});
