/**
 * The operations the items benchmark measures, on the success and on the
 * conflict path, in an order where each one finds the state it needs. Each
 * scenario uses its own ids, so many may run at once.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';

export type Send = (
  method: string,
  url: string,
  headers?: Record<string, string>,
  body?: unknown,
) => Promise<APIGatewayProxyStructuredResultV2>;

export type Operation = readonly [
  name: string,
  run: () => Promise<APIGatewayProxyStructuredResultV2>,
];

/** The operations in order, over fresh ids. */
export const itemsScenario = (request: Send): Operation[] => {
  const id = `calls-${randomUUID().slice(0, 8)}`;
  const merge = { 'content-type': 'application/merge-patch+json' };
  const idemId = `${id}-idem`;
  const idemPost = { 'idempotency-key': `post-${id}` };
  const idemPatch = { ...merge, 'if-match': '"1"', 'idempotency-key': `patch-${id}` };
  const jsonPatch = { 'content-type': 'application/json-patch+json' };
  let lockToken = '';
  /** Lease calls on the idempotency document; acquire remembers the token for the rest. */
  const lockCall = async (method: 'POST' | 'PUT' | 'DELETE') => {
    const headers: Record<string, string> = method === 'POST' ? {} : { 'lock-token': lockToken };
    const response = await request(method, `/v1/items/${idemId}/lock`, headers);
    if (method === 'POST') lockToken = JSON.parse(String(response.body)).lockToken;
    return response;
  };
  return [
    ['POST create', () => request('POST', '/v1/items', {}, { id, n: 0 })],
    ['POST create, id exists (409)', () => request('POST', '/v1/items', {}, { id, n: 0 })],
    ['GET', () => request('GET', `/v1/items/${id}`)],
    [
      'GET If-None-Match (304)',
      () => request('GET', `/v1/items/${id}`, { 'if-none-match': '"1"' }),
    ],
    ['PUT If-Match', () => request('PUT', `/v1/items/${id}`, { 'if-match': '"1"' }, { n: 1 })],
    [
      'PUT stale If-Match (409)',
      () => request('PUT', `/v1/items/${id}`, { 'if-match': '"1"' }, { n: 1 }),
    ],
    [
      'PUT If-None-Match: * (201)',
      () => request('PUT', `/v1/items/${id}-b`, { 'if-none-match': '*' }, {}),
    ],
    [
      'PATCH merge If-Match',
      () => request('PATCH', `/v1/items/${id}`, { ...merge, 'if-match': '"2"' }, { n: 2 }),
    ],
    [
      'PATCH merge stale (409)',
      () => request('PATCH', `/v1/items/${id}`, { ...merge, 'if-match': '"2"' }, { n: 2 }),
    ],
    [
      'PATCH json-patch If-Match',
      () =>
        request('PATCH', `/v1/items/${id}`, { ...jsonPatch, 'if-match': '"3"' }, [
          { op: 'add', path: '/m', value: 1 },
        ]),
    ],
    ['GET list (limit 10)', () => request('GET', '/v1/items?limit=10')],
    [
      'DELETE stale If-Match (409)',
      () => request('DELETE', `/v1/items/${id}`, { 'if-match': '"1"' }),
    ],
    ['DELETE If-Match', () => request('DELETE', `/v1/items/${id}`, { 'if-match': '"4"' })],
    ['POST with Idempotency-Key', () => request('POST', '/v1/items', idemPost, { id: idemId })],
    [
      'POST retried, same key (replay)',
      () => request('POST', '/v1/items', idemPost, { id: idemId }),
    ],
    [
      'PATCH merge with Idempotency-Key',
      () => request('PATCH', `/v1/items/${idemId}`, idemPatch, { n: 1 }),
    ],
    [
      'PATCH retried, same key (replay)',
      () => request('PATCH', `/v1/items/${idemId}`, idemPatch, { n: 1 }),
    ],
    ['POST lock (acquire a lease)', () => lockCall('POST')],
    ['POST lock, lease held (409)', () => request('POST', `/v1/items/${idemId}/lock`)],
    [
      'PUT without Lock-Token, leased (409)',
      () => request('PUT', `/v1/items/${idemId}`, { 'if-match': '"2"' }, { n: 2 }),
    ],
    [
      'PUT with Lock-Token',
      () =>
        request(
          'PUT',
          `/v1/items/${idemId}`,
          { 'if-match': '"2"', 'lock-token': lockToken },
          {
            n: 2,
          },
        ),
    ],
    ['PUT lock (renew)', () => lockCall('PUT')],
    ['DELETE lock (release)', () => lockCall('DELETE')],
  ];
};
