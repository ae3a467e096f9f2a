/**
 * Stale counter merges through three instances of the handler over one
 * table, as a Lambda function scaled out: each instance lets its own writers
 * take turns and starts them from the versions it wrote, but the others
 * write behind its back. Nothing acknowledged may be lost: the counter ends
 * at the number of increments answered 200, and each answer is a version of
 * its own.
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config';
import { createApiKey } from '../../functions/core/key-admin';
import { createHttpHandler } from '../../functions/http/app';
import { createDynamoApiKeyStore } from '../../functions/store/dynamo-api-key-store';
import { createDynamoItemStore } from '../../functions/store/dynamo-item-store';
import { createLocalServer, type LocalServer } from '../../local/server';
import { type Answer, freshId, problemType, send } from '../helpers/http';
import { createTestTable, testDocumentClient } from '../helpers/local-dynamo';

const MERGE = { 'content-type': 'application/merge-patch+json' };
let client: DynamoDBDocumentClient;
let servers: LocalServer[] = [];
let auth: Record<string, string>;

beforeAll(async () => {
  const tableName = await createTestTable();
  client = testDocumentClient();
  const keys = createDynamoApiKeyStore({ client, tableName });
  const store = createDynamoItemStore({ client, tableName });
  const config = parseConfig({
    collections: [
      { name: 'ruled', conflictPolicy: 'merge', fields: { '/n': 'counter' } },
      { name: 'strict' },
    ],
  });
  const { key } = await createApiKey(keys, {
    tenant: 'fleet',
    scopes: ['read', 'write'],
    quota: 1_000_000,
    windowSeconds: 60,
  });
  auth = { authorization: `Bearer ${key}` };
  servers = await Promise.all(
    Array.from({ length: 3 }, () =>
      createLocalServer({
        handler: createHttpHandler({ config, store, keys }),
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

describe('stale counter merges through three instances', () => {
  it('lose no acknowledged increment, each answered with a version of its own', async () => {
    const id = freshId();
    const url = (i: number) => servers[i % servers.length]?.url ?? '';
    const created = await send(url(0), 'PUT', `/v1/ruled/${id}`, {
      body: { n: 0 },
      headers: { ...auth, 'if-none-match': '*' },
    });
    expect(created.status).toBe(201);
    // 12 writers, 4 per instance, 8 increments each, each naming the version
    // of its own last answer (or, after a refusal, the one the refusal names).
    const answers: Answer[] = [];
    await Promise.all(
      Array.from({ length: 12 }, async (_, writer) => {
        let seen = { n: 0, etag: '"1"' };
        for (let i = 0; i < 8; i++) {
          const answer = await send(url(writer), 'PATCH', `/v1/ruled/${id}`, {
            raw: JSON.stringify({ n: seen.n + 1 }),
            headers: { ...auth, ...MERGE, 'if-match': seen.etag },
          });
          answers.push(answer);
          const current = answer.status === 200 ? answer.body : answer.body.current;
          seen = { n: current?.n as number, etag: `"${current?.version}"` };
        }
      }),
    );
    const ok = answers.filter((a) => a.status === 200);
    for (const refused of answers.filter((a) => a.status !== 200)) {
      expect(refused.status).toBe(409);
      expect(refused.body.type).toBe(problemType('version-mismatch'));
    }
    expect(ok.length).toBeGreaterThan(0);
    const versions = ok.map((a) => a.body.version as number).sort((a, b) => a - b);
    expect(versions).toEqual(Array.from({ length: ok.length }, (_, i) => i + 2));
    const final = await send(url(0), 'GET', `/v1/ruled/${id}`, { headers: auth });
    expect(final.body).toMatchObject({ n: ok.length, version: 1 + ok.length });
  });

  it('record the clashing paths of a stale write whose base another instance wrote', async () => {
    const id = freshId();
    const at = (i: number) => servers[i]?.url ?? '';
    await send(at(0), 'PUT', `/v1/strict/${id}`, {
      body: { a: 1, b: 1 },
      headers: { ...auth, 'if-none-match': '*' },
    });
    await send(at(0), 'PUT', `/v1/strict/${id}`, {
      body: { a: 2, b: 1 },
      headers: { ...auth, 'if-match': '"1"' },
    });
    // This instance wrote neither version: it reads the base to tell the paths.
    const refused = await send(at(1), 'PUT', `/v1/strict/${id}`, {
      body: { a: 3, b: 1 },
      headers: { ...auth, 'if-match': '"1"' },
    });
    expect(refused.status).toBe(409);
    const conflict = await send(at(2), 'GET', `/v1/conflicts/${refused.body.conflict.id}`, {
      headers: auth,
    });
    expect(conflict.body.paths).toEqual([{ path: '/a', base: 1, theirs: 2, ours: 3 }]);
  });
});
