/**
 * Duplicates of one keyed request racing each other, as a client's retry
 * after a lost response does, through real HTTP against DynamoDB Local.
 * Each round sends 12 copies of the same request at once; exactly one may
 * take effect, and every copy must get either the stored first answer or
 * `409 idempotency-in-flight`: never a conflict with its own write.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config';
import { type Answer, authedSender, freshId, problemType, type SendOptions } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';

const ROUNDS = 20;
const DUPLICATES = 12;
/** Each kind makes 240 requests and checks every round; the machine is shared. */
const TIMEOUT_MS = 240_000;
let api: TestApi;
const call: ReturnType<typeof authedSender> = (...args) =>
  authedSender(api.baseUrl, api.headers)(...args);

beforeAll(async () => {
  api = await startApi({
    config: parseConfig({ collections: [{ name: 'items' }, { name: 'posts' }] }),
  });
});
afterAll(() => api.close());

/** Sends `DUPLICATES` copies of one request at once. */
const duplicates = async (method: string, path: string, options: SendOptions) => {
  const results = await Promise.allSettled(
    Array.from({ length: DUPLICATES }, () => call(method, path, options)),
  );
  return results.map((r) => {
    if (r.status === 'rejected') throw r.reason;
    return r.value;
  }) as Answer[];
};

/**
 * The answers of one round: one first answer with `status`, the rest its
 * replays or in-flight refusals. Returns the first answer.
 */
const oneEffect = (answers: Answer[], status: number, label: string): Answer => {
  const misleading = answers.filter(
    (a) =>
      a.status !== status &&
      !(a.status === 409 && a.body?.type === problemType('idempotency-in-flight')),
  );
  expect(
    misleading.map((a) => `${a.status} ${a.body?.type}`),
    label,
  ).toEqual([]);
  for (const a of answers.filter((a) => a.status === 409)) {
    expect(a.headers.get('retry-after')).toBe('1');
    expect(a.body.retryable).toBe(true);
  }
  const done = answers.filter((a) => a.status === status);
  const first = done.filter((a) => a.headers.get('idempotent-replayed') === null);
  expect(first, label).toHaveLength(1);
  for (const replay of done) {
    expect(replay.body, label).toEqual(first[0]?.body);
    expect(replay.headers.get('etag'), label).toBe(first[0]?.headers.get('etag'));
  }
  return first[0] as Answer;
};

const keyed = (headers: Record<string, string> = {}) => ({
  'idempotency-key': `race-${freshId()}`,
  ...headers,
});

const newDocument = async (collection = 'items') => {
  const id = freshId();
  expect((await call('POST', `/v1/${collection}`, { body: { id, n: 0 } })).status).toBe(201);
  return { id, path: `/v1/${collection}/${id}` };
};

const versionsOf = async (path: string): Promise<number[]> =>
  (await call('GET', `${path}/versions`)).body.items.map((v: { version: number }) => v.version);

describe(`${DUPLICATES} racing duplicates of one keyed request, ${ROUNDS} rounds`, () => {
  it(
    'POST with a body id: one document, every answer the stored one',
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const id = freshId();
        const answers = await duplicates('POST', '/v1/items', {
          body: { id, round },
          headers: keyed(),
        });
        oneEffect(answers, 201, `round ${round}`);
        expect(await versionsOf(`/v1/items/${id}`)).toEqual([1]);
      }
    },
    TIMEOUT_MS,
  );

  it(
    'POST without an id: one document although every copy made its own id',
    async () => {
      const ids = new Set<string>();
      for (let round = 0; round < ROUNDS; round++) {
        const answers = await duplicates('POST', '/v1/posts', {
          body: { round },
          headers: keyed(),
        });
        const first = oneEffect(answers, 201, `round ${round}`);
        ids.add(first.body.id);
      }
      const listed = await call('GET', '/v1/posts?limit=100');
      expect(listed.body.items.map((d: { id: string }) => d.id).sort()).toEqual([...ids].sort());
      expect(ids.size).toBe(ROUNDS);
    },
    TIMEOUT_MS,
  );

  it(
    'PUT If-Match: one new version, no version-mismatch',
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const { path } = await newDocument();
        const answers = await duplicates('PUT', path, {
          body: { n: round },
          headers: keyed({ 'if-match': '"1"' }),
        });
        const first = oneEffect(answers, 200, `round ${round}`);
        expect(first.body.version).toBe(2);
        expect(await versionsOf(path)).toEqual([2, 1]);
      }
    },
    TIMEOUT_MS,
  );

  it(
    'PATCH If-Match: one new version, no version-mismatch',
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const { path } = await newDocument();
        const answers = await duplicates('PATCH', path, {
          raw: JSON.stringify({ round }),
          headers: keyed({ 'content-type': 'application/merge-patch+json', 'if-match': '"1"' }),
        });
        const first = oneEffect(answers, 200, `round ${round}`);
        expect(first.body).toMatchObject({ version: 2, n: 0, round });
        expect(await versionsOf(path)).toEqual([2, 1]);
      }
    },
    TIMEOUT_MS,
  );

  it(
    'DELETE If-Match: one deletion, no 404',
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const { path } = await newDocument();
        const answers = await duplicates('DELETE', path, { headers: keyed({ 'if-match': '"1"' }) });
        oneEffect(answers, 204, `round ${round}`);
        expect(await versionsOf(path)).toEqual([2, 1]);
        expect((await call('GET', path)).status).toBe(404);
      }
    },
    TIMEOUT_MS,
  );

  it(
    'lock acquire: one grant, and every copy gets that grant back, not lock-held',
    async () => {
      for (let round = 0; round < ROUNDS; round++) {
        const { path } = await newDocument();
        const answers = await duplicates('POST', `${path}/lock`, {
          body: { ttlSeconds: 60 },
          headers: keyed(),
        });
        const first = oneEffect(answers, 200, `round ${round}`);
        expect(first.body.fencingToken).toBe(1);
        for (const a of answers.filter((a) => a.status === 200)) {
          expect(a.headers.get('lock-token')).toBe(first.body.lockToken);
        }
        // The document took one lease: the next acquisition gets fencing token 2.
        const { lockToken } = first.body;
        await call('DELETE', `${path}/lock`, { headers: { 'lock-token': lockToken } });
        expect((await call('POST', `${path}/lock`)).body.fencingToken).toBe(2);
      }
    },
    TIMEOUT_MS,
  );
});
