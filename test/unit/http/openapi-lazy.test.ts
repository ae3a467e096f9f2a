/**
 * The OpenAPI document is built when it is first asked for, not when a
 * function starts: most instances never serve it.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import type { RequestScope } from '../../../functions/http/handlers/items';

const built = vi.hoisted(() => ({ count: 0 }));

vi.mock('../../../functions/http/openapi', () => ({
  buildOpenApi: () => {
    built.count++;
    return { openapi: '3.1.0' };
  },
}));

describe('the OpenAPI route', () => {
  it('builds the document on its first request, and only once', async () => {
    const { getOpenApi } = await import('../../../functions/http/handlers/openapi');
    expect(built.count).toBe(0);
    const event = {} as APIGatewayProxyEventV2;
    // One document per configuration: the same configuration object each time.
    const scope = { config: { collections: [] } } as unknown as RequestScope;
    const first = await getOpenApi(event, scope);
    const second = await getOpenApi(event, scope);
    expect(built.count).toBe(1);
    expect(JSON.parse(String(first.body))).toEqual({ openapi: '3.1.0' });
    expect(second.body).toBe(first.body);
  });
});
