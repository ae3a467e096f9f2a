/**
 * GET /docs over HTTP: the guide with an anchor for every problem type, the
 * Redoc script served by the API itself, and a real conflict whose problem
 * `type` resolves to its explanation on that page.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import shipped from '../../concord.config.json' with { type: 'json' };
import { PROBLEM_GUIDE } from '../../functions/http/problem-types';
import { startApi, type TestApi } from '../helpers/local-api';

let api: TestApi;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

const anchorsOf = (html: string): Set<string> =>
  new Set([...html.matchAll(/\sid="([^"]+)"/g)].map(([, id]) => id ?? ''));

describe('GET /docs', () => {
  it('serves the guide without an API key, with an explanation for every problem type', async () => {
    const res = await fetch(`${api.baseUrl}/docs`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const html = await res.text();
    const anchors = anchorsOf(html);
    for (const type of Object.keys(PROBLEM_GUIDE)) {
      expect(anchors, type).toContain(`problem-${type}`);
    }
    expect(html).toContain('<script src="docs/redoc.standalone.js"></script>');
    expect(html).not.toMatch(/https?:\/\/(?!127\.)[^"' ]*\.(js|css)/);
  });

  it('serves the Redoc script it runs, from the API itself', async () => {
    const res = await fetch(`${api.baseUrl}/docs/redoc.standalone.js`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('text/javascript; charset=utf-8');
    const script = await res.text();
    expect(script.length).toBeGreaterThan(500_000);
    expect(script).toContain('Redoc');
    expect((await fetch(`${api.baseUrl}/docs`, { method: 'HEAD' })).status).toBe(200);
  });

  it('is where the type of a real conflict leads: its explanation on the page', async () => {
    const url = `${api.baseUrl}/v1/items/docs-conflict`;
    const headers = { ...api.headers, 'content-type': 'application/json' };
    const body = JSON.stringify({ n: 1 });
    expect(
      (await fetch(url, { method: 'PUT', headers: { ...headers, 'if-none-match': '*' }, body }))
        .status,
    ).toBe(201);
    const conflict = await fetch(url, {
      method: 'PUT',
      headers: { ...headers, 'if-match': '"9"' },
      body,
    });
    expect(conflict.status).toBe(409);
    const { type } = (await conflict.json()) as { type: string };
    expect(type).toBe('/docs#problem-version-mismatch');
    const resolved = new URL(type, url);
    expect(resolved.href).toBe(`${api.baseUrl}/docs#problem-version-mismatch`);
    const page = await fetch(resolved);
    expect(page.status).toBe(200);
    expect(anchorsOf(await page.text())).toContain(resolved.hash.slice(1));
  });

  it("serves the OpenAPI document of the API's own configuration: its collections", async () => {
    const res = await fetch(`${api.baseUrl}/v1/openapi.json`);
    const document = (await res.json()) as {
      paths: Record<
        string,
        Record<string, { parameters: Array<{ name: string; schema: unknown }> }>
      >;
    };
    const list = document.paths['/v1/{collection}']?.get?.parameters ?? [];
    expect(list.find((p) => p.name === 'collection')?.schema).toEqual({
      type: 'string',
      enum: shipped.collections.map((c) => c.name),
    });
  });
});
