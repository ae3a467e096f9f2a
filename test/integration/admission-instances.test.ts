/**
 * Admission across several instances of the handler over one table, as a
 * Lambda function scaled out: each instance claims blocks of tokens from the
 * key's record and admits from them. The instances share a clock the tests
 * move on, so nothing here waits for real time. DynamoDB calls are counted by
 * SDK middleware, per API key record.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_ADMISSION } from '../../functions/core/access';
import { hashApiKey } from '../../functions/core/api-keys';
import { parseConfig } from '../../functions/core/config';
import { createApiKey } from '../../functions/core/key-admin';
import { createHttpHandler } from '../../functions/http/app';
import { createDynamoApiKeyStore } from '../../functions/store/dynamo-api-key-store';
import { createDynamoItemStore } from '../../functions/store/dynamo-item-store';
import { apiKeyPartition, TABLE_KEYS } from '../../functions/store/keys';
import { createLocalServer, type LocalServer } from '../../local/server';
import { type Answer, freshId, PROBLEM, problemType, send } from '../helpers/http';
import { createTestTable, testDocumentClient } from '../helpers/local-dynamo';

const WINDOW_SECONDS = 60;
let client: DynamoDBDocumentClient;
let keys: ReturnType<typeof createDynamoApiKeyStore>;
let servers: LocalServer[] = [];
/** The instances' clock: it stands still unless a test moves it. */
let clock = Date.now();
/** DynamoDB calls made so far, by partition key. */
const calls = new Map<string, number>();

const callsTo = (key: string) => calls.get(apiKeyPartition(hashApiKey(key))) ?? 0;
const allCalls = () => [...calls.values()].reduce((sum, n) => sum + n, 0);
const bearer = (key: string) => ({ authorization: `Bearer ${key}` });
const newKey = async (quota: number, scopes = ['read', 'write']) =>
  (await createApiKey(keys, { tenant: 'fleet', scopes, quota, windowSeconds: WINDOW_SECONDS })).key;

/** Sends the same GET to every instance `times` times, all at once; the answers, in order. */
const burst = async (key: string, times: number, path = '/v1/items'): Promise<Answer[]> =>
  Promise.all(
    Array.from({ length: times }, (_, i) =>
      send(servers[i % servers.length]?.url ?? '', 'GET', path, { headers: bearer(key) }),
    ),
  );
const statuses = (answers: Answer[]) => answers.map((a) => a.status);
const count = (answers: Answer[], status: number) =>
  answers.filter((a) => a.status === status).length;

beforeAll(async () => {
  const tableName = await createTestTable();
  client = testDocumentClient();
  client.middlewareStack.add(
    (next) => async (args) => {
      const key = (args.input as { Key?: Record<string, unknown> }).Key;
      const partition = String(key?.[TABLE_KEYS.partitionKey] ?? 'none');
      calls.set(partition, (calls.get(partition) ?? 0) + 1);
      return next(args);
    },
    { step: 'initialize', name: 'countCalls' },
  );
  keys = createDynamoApiKeyStore({ client, tableName });
  const store = createDynamoItemStore({ client, tableName });
  const config = parseConfig({ collections: [{ name: 'items' }] });
  servers = await Promise.all(
    Array.from({ length: 3 }, () =>
      createLocalServer({
        handler: createHttpHandler({
          config,
          store,
          keys,
          access: { now: () => clock },
        }),
        host: '127.0.0.1',
        port: 0,
      }),
    ),
  );
});
afterAll(async () => {
  await Promise.all(servers.map((server) => server.close()));
  client.destroy();
});

describe('three instances of the handler on one key', () => {
  it('never admit more than the quota between them', async () => {
    const quota = 60;
    const key = await newKey(quota);
    // 150 requests at once, 50 per instance: the whole burst is 60.
    const first = await burst(key, 150);
    expect(count(first, 200)).toBeLessThanOrEqual(quota);
    expect(count(first, 200) + count(first, 429)).toBe(150);
    // Tokens one instance holds are not another's: more requests may use them, never more.
    const second = await burst(key, 150);
    expect(count(first, 200) + count(second, 200)).toBeLessThanOrEqual(quota);
    for (const answer of [...first, ...second].filter((a) => a.status === 429)) {
      expect(answer.headers.get('content-type')).toBe(PROBLEM);
      expect(answer.body.type).toBe(problemType('rate-limited'));
      expect(Number(answer.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
      expect(answer.headers.get('ratelimit-policy')).toBe(
        `"default";q=${quota};w=${WINDOW_SECONDS}`,
      );
      expect(answer.headers.get('ratelimit')).toMatch(/^"default";r=0;t=\d+$/);
    }
    // Contending instances may leave some of the burst in the record for later, not much.
    expect(count(first, 200) + count(second, 200)).toBeGreaterThanOrEqual(quota / 2);
    // A window later the key has its whole burst back, and again not one request more.
    clock += WINDOW_SECONDS * 1000;
    const next = [...(await burst(key, 150)), ...(await burst(key, 150))];
    expect(count(next, 200)).toBeLessThanOrEqual(quota);
    expect(count(next, 200)).toBeGreaterThanOrEqual(quota / 2);
  });

  it('refuse a revoked key on every instance once freshMs has passed', async () => {
    const key = await newKey(1_000);
    expect(statuses(await burst(key, 6))).toEqual([200, 200, 200, 200, 200, 200]);
    const keyId = (await keys.list()).find((k) => k.tenant === 'fleet' && k.quota === 1_000)?.keyId;
    expect(await keys.revoke(keyId ?? '', new Date().toISOString())).toBe(true);
    clock += DEFAULT_ADMISSION.freshMs;
    const after = await burst(key, 30);
    expect(statuses(after)).toEqual(Array(30).fill(401));
    expect(after[0]?.body.type).toBe(problemType('unauthorized'));
  });

  it('answer a flood of an unknown key from memory, never touching a real key record', async () => {
    const real = await newKey(1_000);
    await burst(real, 3);
    const realCalls = callsTo(real);
    const unknown = `ck_${freshId()}-not-a-key`;
    const before = allCalls();
    const flood = [...(await burst(unknown, 90)), ...(await burst(unknown, 90))];
    expect(count(flood, 401)).toBe(180);
    // Each instance asks once (both single-token writes of a first admission) and then remembers.
    expect(callsTo(unknown)).toBeLessThanOrEqual(2 * servers.length);
    expect(allCalls() - before).toBe(callsTo(unknown));
    expect(callsTo(real)).toBe(realCalls);
  });

  it('answer a flood of an exhausted key from memory until its next token is due', async () => {
    const quota = 5;
    const key = await newKey(quota);
    // Exhaust the key on every instance; each then knows when the next token comes.
    await burst(key, 30);
    await burst(key, 30);
    const before = callsTo(key);
    const flood = await burst(key, 150);
    expect(count(flood, 429)).toBe(150);
    expect(callsTo(key)).toBe(before);
    const interval = WINDOW_SECONDS / quota;
    for (const answer of flood) {
      expect(Number(answer.headers.get('retry-after'))).toBeLessThanOrEqual(interval);
      expect(answer.headers.get('ratelimit')).toMatch(/^"default";r=0;t=\d+$/);
    }
    // When the next token is due, one instance claims it and one request gets through.
    clock += interval * 1000;
    const next = [...(await burst(key, 30)), ...(await burst(key, 30))];
    expect(count(next, 200)).toBe(1);
    expect(callsTo(key)).toBeGreaterThan(before);
  });

  it('serve a known key with the operation own DynamoDB call only, mostly', async () => {
    const key = await newKey(100_000);
    const url = servers[0]?.url ?? '';
    await send(url, 'GET', '/v1/items/warm', { headers: bearer(key) });
    const keyCalls = callsTo(key);
    const before = allCalls();
    for (let i = 0; i < 100; i++) {
      expect(
        (await send(url, 'GET', `/v1/items/${freshId()}`, { headers: bearer(key) })).status,
      ).toBe(404);
    }
    const admissions = callsTo(key) - keyCalls;
    // 100 GetItems, and a few block claims that ran alongside them.
    expect(allCalls() - before - admissions).toBe(100);
    expect(admissions).toBeLessThanOrEqual(10);
  });
});
