/**
 * The whole retry story end to end: a write whose response is lost on the
 * way back is retried by the client with the same Idempotency-Key, and the
 * server answers with the first result instead of writing twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcordClient, type FetchLike } from '../../client/index';
import { freshId, send } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';

let api: TestApi;
beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

/** A fetch that delivers each request but loses the first `lose` responses. */
const losingResponses = (lose: number) => {
  const sent: Array<{ method: string; key: string | null }> = [];
  let left = lose;
  const fetchLike: FetchLike = async (input, init) => {
    const response = await fetch(input, init);
    sent.push({
      method: init?.method ?? 'GET',
      key: new Headers(init?.headers).get('idempotency-key'),
    });
    if (left > 0) {
      left--;
      await response.arrayBuffer();
      throw new TypeError('fetch failed: connection reset');
    }
    return response;
  };
  return { fetchLike, sent };
};

const client = (fetchLike: FetchLike) =>
  new ConcordClient({
    baseUrl: api.baseUrl,
    apiKey: api.apiKey,
    fetch: fetchLike,
    random: () => 0,
  });

describe('a lost response', () => {
  it('makes the client retry a POST with the same key and get the first answer', async () => {
    const { fetchLike, sent } = losingResponses(1);
    const marker = freshId();
    const result = await client(fetchLike).create('items', { marker });
    expect(sent.map((s) => s.method)).toEqual(['POST', 'POST']);
    expect(sent[0]?.key).toBeTruthy();
    expect(sent[1]?.key).toBe(sent[0]?.key);
    expect(result.replayed).toBe(true);
    expect(result.created).toBe(true);
    const page = await send(api.baseUrl, 'GET', '/v1/items?limit=100', { headers: api.headers });
    const withMarker = page.body.items.filter((d: { marker?: string }) => d.marker === marker);
    expect(withMarker).toEqual([{ id: result.id, version: 1, marker }]);
  });

  it('makes the client retry a PATCH whose If-Match is stale by then, without patching twice', async () => {
    const id = freshId();
    await send(api.baseUrl, 'POST', '/v1/items', { body: { id, n: 1 }, headers: api.headers });
    const { fetchLike, sent } = losingResponses(1);
    const result = await client(fetchLike).mergePatch('items', id, { n: 2 }, { ifMatch: '1' });
    expect(sent.map((s) => s.method)).toEqual(['PATCH', 'PATCH']);
    expect(result.replayed).toBe(true);
    expect(result.document).toEqual({ id, version: 2, n: 2 });
    const stored = await send(api.baseUrl, 'GET', `/v1/items/${id}`, { headers: api.headers });
    expect(stored.body.version).toBe(2);
  });
});
