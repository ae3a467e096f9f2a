import { describe, expect, it } from 'vitest';
import { parseQuery, toApiGatewayEvent } from '../../../local/api-gateway-event';

const binding = { routeKey: 'GET /v1/{collection}', pathParameters: { collection: 'items' } };

describe('toApiGatewayEvent', () => {
  it('joins repeated headers with ", " and lowercases names', () => {
    const event = toApiGatewayEvent(
      {
        method: 'get',
        url: '/v1/items',
        headers: { accept: ['a/b', 'c/d'], Host: ['localhost:3000'] },
        body: Buffer.alloc(0),
        sourceIp: '::1',
      },
      binding,
      'req-1',
      new Date(Date.UTC(2025, 10, 22, 2, 4, 5)),
    );
    expect(event.headers).toEqual({ accept: 'a/b, c/d', host: 'localhost:3000' });
    expect(event.requestContext).toMatchObject({
      requestId: 'req-1',
      domainName: 'localhost:3000',
      time: '22/Nov/2025:02:04:05 +0000',
      timeEpoch: Date.UTC(2025, 10, 22, 2, 4, 5),
      http: { method: 'GET', sourceIp: '::1' },
    });
    expect(event.isBase64Encoded).toBe(false);
    expect(event.body).toBeUndefined();
  });
});

describe('parseQuery', () => {
  it('decodes keys and values and joins repeats with commas', () => {
    expect(parseQuery('a=1&a=2&b=x%20y&c+d=e+f&empty')).toEqual({
      a: '1,2',
      b: 'x y',
      'c d': 'e f',
      empty: '',
    });
  });

  it('is undefined for an empty query', () => {
    expect(parseQuery('')).toBeUndefined();
  });
});
