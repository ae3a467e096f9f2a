/**
 * Concurrency claims, proven by racing real requests through HTTP against
 * DynamoDB Local: exactly one winner, no lost update.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Answer, authedSender, freshId } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';

const RACERS = 25;
let api: TestApi;
const call: ReturnType<typeof authedSender> = (...args) =>
  authedSender(api.baseUrl, api.headers)(...args);

beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

const race = (request: (racer: number) => Promise<Answer>) =>
  Promise.allSettled(Array.from({ length: RACERS }, (_, racer) => request(racer)));

const answers = (results: PromiseSettledResult<Answer>[]) =>
  results.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  });

describe('racing writers', () => {
  it('lets exactly one of 25 PUTs with the same If-Match win; the rest see the winner', async () => {
    const id = freshId();
    await call('POST', '/v1/items', { body: { id, racer: -1 } });
    const results = answers(
      await race((racer) =>
        call('PUT', `/v1/items/${id}`, { body: { racer }, headers: { 'if-match': '"1"' } }),
      ),
    );
    const winners = results.filter((a) => a.status === 200);
    const losers = results.filter((a) => a.status === 409);
    expect(winners).toHaveLength(1);
    expect(losers).toHaveLength(RACERS - 1);
    const winner = winners[0]?.body;
    expect(winner.version).toBe(2);
    for (const loser of losers) {
      expect(loser.body.type).toMatch(/version-mismatch$/);
      expect(loser.body.current).toEqual({ version: 2, etag: '"2"', document: winner });
    }
    const stored = await call('GET', `/v1/items/${id}`);
    expect(stored.body).toEqual(winner);
    expect(stored.headers.get('etag')).toBe('"2"');
  });

  it('lets exactly one of 25 creates of one id win', async () => {
    const id = freshId();
    const results = answers(
      await race((racer) => call('POST', '/v1/items', { body: { id, racer } })),
    );
    const winners = results.filter((a) => a.status === 201);
    expect(winners).toHaveLength(1);
    expect(results.filter((a) => a.status === 409)).toHaveLength(RACERS - 1);
    const winner = winners[0]?.body;
    for (const loser of results.filter((a) => a.status === 409)) {
      expect(loser.body.current.document).toEqual(winner);
    }
    expect((await call('GET', `/v1/items/${id}`)).body).toEqual({ ...winner, version: 1 });
  });

  it('lets exactly one of 25 PUT If-None-Match: * creates win', async () => {
    const id = freshId();
    const results = answers(
      await race((racer) =>
        call('PUT', `/v1/items/${id}`, { body: { racer }, headers: { 'if-none-match': '*' } }),
      ),
    );
    expect(results.filter((a) => a.status === 201)).toHaveLength(1);
    expect(results.filter((a) => a.status === 409)).toHaveLength(RACERS - 1);
  });

  it('lets exactly one of 25 DELETEs with the same If-Match win; the rest get 404', async () => {
    const id = freshId();
    await call('POST', '/v1/items', { body: { id } });
    const results = answers(
      await race(() => call('DELETE', `/v1/items/${id}`, { headers: { 'if-match': '"1"' } })),
    );
    expect(results.filter((a) => a.status === 204)).toHaveLength(1);
    expect(results.filter((a) => a.status === 404)).toHaveLength(RACERS - 1);
    expect((await call('GET', `/v1/items/${id}`)).status).toBe(404);
  });

  it('lets exactly one of 25 merge patches with the same If-Match win', async () => {
    const id = freshId();
    await call('POST', '/v1/items', { body: { id, hits: [] } });
    const results = answers(
      await race((racer) =>
        call('PATCH', `/v1/items/${id}`, {
          raw: JSON.stringify({ last: racer }),
          headers: { 'content-type': 'application/merge-patch+json', 'if-match': '"1"' },
        }),
      ),
    );
    const winners = results.filter((a) => a.status === 200);
    expect(winners).toHaveLength(1);
    expect(results.filter((a) => a.status === 409)).toHaveLength(RACERS - 1);
    expect((await call('GET', `/v1/items/${id}`)).body).toEqual(winners[0]?.body);
  });

  it('loses no update when 25 writers each retry on the version the 409 body carries', async () => {
    const id = freshId();
    await call('POST', '/v1/items', { body: { id, count: 0 } });
    const increment = async () => {
      let answer = await call('GET', `/v1/items/${id}`);
      let current = answer.body;
      for (let attempt = 0; attempt < 200; attempt++) {
        answer = await call('PUT', `/v1/items/${id}`, {
          body: { count: current.count + 1 },
          headers: { 'if-match': `"${current.version}"` },
        });
        if (answer.status === 200) return attempt;
        expect(answer.status).toBe(409);
        current = answer.body.current.document;
      }
      throw new Error('gave up');
    };
    await Promise.all(Array.from({ length: RACERS }, increment));
    const stored = await call('GET', `/v1/items/${id}`);
    expect(stored.body.count).toBe(RACERS);
    expect(stored.body.version).toBe(RACERS + 1);
  });
});
