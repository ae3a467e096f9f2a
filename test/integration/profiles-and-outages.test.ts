import { ProvisionedThroughputExceededException } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ApiKeyStore } from '../../functions/core/api-keys';
import { parseConfig } from '../../functions/core/config';
import { createApiKey } from '../../functions/core/key-admin';
import { createHttpHandler } from '../../functions/http/app';
import { createDynamoApiKeyStore } from '../../functions/store/dynamo-api-key-store';
import { createDynamoItemStore } from '../../functions/store/dynamo-item-store';
import { createLocalServer, type LocalServer } from '../../local/server';
import { freshId, PROBLEM, problemType, send } from '../helpers/http';
import { createTestTable, testDocumentClient } from '../helpers/local-dynamo';

describe('the strict-HTTP profile', () => {
  let server: LocalServer;
  let auth: Record<string, string>;
  const call = (method: string, path: string, options: Parameters<typeof send>[3] = {}) =>
    send(server.url, method, path, { ...options, headers: { ...auth, ...options.headers } });

  beforeAll(async () => {
    const tableName = await createTestTable();
    const client = testDocumentClient();
    const keys = createDynamoApiKeyStore({ client, tableName });
    const { key } = await createApiKey(keys, {
      tenant: 'strict',
      scopes: ['read', 'write'],
      quota: 1000,
    });
    auth = { authorization: `Bearer ${key}` };
    const handler = createHttpHandler({
      config: parseConfig({ profile: 'strict-http', collections: [{ name: 'items' }] }),
      store: createDynamoItemStore({ client, tableName }),
      keys,
    });
    server = await createLocalServer({ handler, host: '127.0.0.1', port: 0 });
  });
  afterAll(() => server.close());

  it('answers 412 for a failed If-Match, with the same problem body', async () => {
    const id = freshId();
    await call('POST', '/v1/items', { body: { id, n: 1 } });
    const answer = await call('PUT', `/v1/items/${id}`, {
      body: {},
      headers: { 'if-match': '"9"' },
    });
    expect(answer.status).toBe(412);
    expect(answer.body.type).toBe(problemType('version-mismatch'));
    expect(answer.body.current.document).toEqual({ id, version: 1, n: 1 });
    const read = await call('GET', `/v1/items/${id}`, { headers: { 'if-match': '"9"' } });
    expect(read.status).toBe(412);
  });

  it('answers 412 for a failed If-None-Match: * but 409 for POST and body versions', async () => {
    const id = freshId();
    await call('POST', '/v1/items', { body: { id } });
    const put = await call('PUT', `/v1/items/${id}`, {
      body: {},
      headers: { 'if-none-match': '*' },
    });
    expect(put.status).toBe(412);
    expect(put.body.type).toBe(problemType('already-exists'));
    expect((await call('POST', '/v1/items', { body: { id } })).status).toBe(409);
    expect((await call('PUT', `/v1/items/${id}`, { body: { version: 5 } })).status).toBe(409);
  });
});

describe('a throttled database', () => {
  let server: LocalServer;
  let auth: Record<string, string>;
  let keys: ApiKeyStore;
  let attempts = 0;
  let throttleKeys = false;
  let throttleItems = false;

  /** A client whose requests fail as throttled while `enabled()` holds. */
  const throttledClient = (enabled: () => boolean) => {
    const client = testDocumentClient();
    // Inside the SDK's retry loop, so the 503 comes only after its own retries.
    client.middlewareStack.add(
      (next) => async (args) => {
        if (!enabled()) return next(args);
        attempts++;
        throw new ProvisionedThroughputExceededException({ message: 'throttled', $metadata: {} });
      },
      { step: 'deserialize', name: 'injectThrottling', priority: 'high' },
    );
    return client;
  };

  beforeAll(async () => {
    const tableName = await createTestTable();
    keys = createDynamoApiKeyStore({
      client: throttledClient(() => throttleKeys),
      tableName,
    });
    const { key } = await createApiKey(keys, {
      tenant: 'busy',
      scopes: ['read', 'write'],
      quota: 1000,
    });
    auth = { authorization: `Bearer ${key}` };
    const handler = createHttpHandler({
      config: parseConfig({ collections: [{ name: 'items' }] }),
      store: createDynamoItemStore({ client: throttledClient(() => throttleItems), tableName }),
      keys,
    });
    server = await createLocalServer({ handler, host: '127.0.0.1', port: 0 });
  });
  afterAll(() => server.close());

  const expectUnavailable = (answer: Awaited<ReturnType<typeof send>>, calls = 1) => {
    expect(answer.status).toBe(503);
    expect(answer.headers.get('content-type')).toBe(PROBLEM);
    expect(answer.headers.get('retry-after')).toBe('1');
    expect(answer.body).toMatchObject({ type: problemType('unavailable'), retryable: true });
    expect(JSON.stringify(answer.body)).not.toMatch(/Provisioned|throttled/);
    expect(attempts).toBe(3 * calls);
  };

  it('answers 503 unavailable with Retry-After when document requests stay throttled', async () => {
    throttleItems = true;
    for (const [method, path] of [
      ['GET', `/v1/items/${freshId()}`],
      ['POST', '/v1/items'],
      ['GET', '/v1/items'],
      ['PUT', `/v1/items/${freshId()}`],
    ] as const) {
      attempts = 0;
      const answer = await send(server.url, method, path, {
        ...(method === 'POST' || method === 'PUT' ? { body: {} } : {}),
        headers: { ...auth, ...(method === 'PUT' ? { 'if-none-match': '*' } : {}) },
      });
      expectUnavailable(answer);
    }
    throttleItems = false;
  });

  it('answers 503 when admitting the API key meets a throttled table', async () => {
    // A key this instance has not seen yet: its admission has to ask the table.
    const { key } = await createApiKey(keys, { tenant: 'busy', scopes: ['read'], quota: 1000 });
    const fresh = { authorization: `Bearer ${key}` };
    throttleKeys = true;
    attempts = 0;
    // The first admission of a key sends both single-token writes at once, 3 attempts each.
    expectUnavailable(
      await send(server.url, 'GET', `/v1/items/${freshId()}`, { headers: fresh }),
      2,
    );
    throttleKeys = false;
    const recovered = await send(server.url, 'GET', `/v1/items/${freshId()}`, { headers: fresh });
    expect(recovered.status).toBe(404);
  });
});
