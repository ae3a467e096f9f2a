/**
 * A DynamoDB that stops answering (its JVM paused with SIGSTOP) must turn
 * into prompt 503s, and a write whose answer was lost must never be
 * reported as a conflict it did not have. The API runs over its own
 * DynamoDB Local, so pausing it touches no other test.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createApiKey } from '../../functions/core/key-admin';
import { createHttpHandler } from '../../functions/http/app';
import { createDocumentClient } from '../../functions/store/client';
import { createDynamoApiKeyStore } from '../../functions/store/dynamo-api-key-store';
import { createDynamoItemStore } from '../../functions/store/dynamo-item-store';
import {
  type DynamoLocal,
  ensureTable,
  LOCAL_CREDENTIALS,
  LOCAL_REGION,
  localDynamoClient,
  startDynamoLocal,
} from '../../local/dynamo-local';
import { createLocalServer, type LocalServer } from '../../local/server';
import { type Answer, authedSender, freshId, PROBLEM, problemType } from '../helpers/http';
import { defaultConfig } from '../helpers/local-api';

const TABLE = 'concord-stall';

let dynamo: DynamoLocal;
let server: LocalServer;
let call: ReturnType<typeof authedSender>;
let paused = false;

/**
 * SIGSTOP takes effect thread by thread, and on a busy machine a JVM thread
 * has been seen to answer one more request after it was sent: wait until
 * every thread of the JVM is stopped.
 */
const pause = async (): Promise<void> => {
  process.kill(dynamo.pid, 'SIGSTOP');
  paused = true;
  const stopped = (): boolean =>
    readdirSync(`/proc/${dynamo.pid}/task`).every((task) => {
      try {
        // The state follows the command name, which is in parentheses.
        const stat = readFileSync(`/proc/${dynamo.pid}/task/${task}/stat`, 'utf8');
        return /^[tT]$/.test(stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3));
      } catch {
        return true; // The thread has ended.
      }
    });
  for (let i = 0; i < 2_000 && !stopped(); i++) await new Promise((r) => setTimeout(r, 1));
  expect(stopped()).toBe(true);
};
const resume = (): void => {
  if (paused) process.kill(dynamo.pid, 'SIGCONT');
  paused = false;
};

interface AttemptHooks {
  /** Runs before each attempt of a request whose input mentions `match`. */
  readonly match: string;
  readonly before?: (command: string) => Promise<void> | undefined;
  /** Runs when such an attempt fails, before the SDK sees the failure. */
  readonly failed?: (command: string) => Promise<void>;
}
let hooks: AttemptHooks | undefined;
const attempts: string[] = [];

afterEach(() => {
  hooks = undefined;
  attempts.length = 0;
  resume();
});

beforeAll(async () => {
  dynamo = await startDynamoLocal();
  const admin = localDynamoClient(dynamo.endpoint);
  await ensureTable(admin, TABLE).finally(() => admin.destroy());
  // The production timeouts (a shorter one would turn a busy machine's slow
  // answers into 503s): a stalled read fails after about 6 s, a write after 2 s.
  const client = createDocumentClient({
    endpoint: dynamo.endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  // Sees every attempt (it sits inside the SDK's retry loop), to stall
  // DynamoDB at a chosen request rather than after a guessed delay.
  client.middlewareStack.addRelativeTo(
    <Args extends { input?: unknown }, Result>(
      next: (args: Args) => Promise<Result>,
      context: { commandName?: string },
    ) =>
      async (args: Args): Promise<Result> => {
        const command = context.commandName ?? '';
        const watched =
          hooks && JSON.stringify(args.input).includes(hooks.match) ? hooks : undefined;
        if (watched) attempts.push(command);
        await watched?.before?.(command);
        try {
          return await next(args);
        } catch (error) {
          await watched?.failed?.(command);
          throw error;
        }
      },
    { relation: 'after', toMiddleware: 'retryMiddleware', name: 'stallAtAttempt' },
  );
  const config = defaultConfig();
  const keys = createDynamoApiKeyStore({ client, tableName: TABLE });
  const { key } = await createApiKey(keys, {
    tenant: 'stalled',
    scopes: ['read', 'write'],
    quota: 1_000_000,
  });
  const store = createDynamoItemStore({ client, tableName: TABLE });
  server = await createLocalServer({
    handler: createHttpHandler({ config, store, keys }),
    host: '127.0.0.1',
    port: 0,
  });
  call = authedSender(server.url, { authorization: `Bearer ${key}` });
});

afterAll(async () => {
  resume();
  await server?.close();
  await dynamo?.stop();
});

const expectUnavailable = (answer: Answer): void => {
  expect(answer.status).toBe(503);
  expect(answer.headers.get('content-type')).toBe(PROBLEM);
  expect(answer.headers.get('retry-after')).toMatch(/^[1-9]\d*$/);
  expect(answer.body).toMatchObject({
    type: problemType('unavailable'),
    title: expect.any(String),
    status: 503,
    detail: expect.any(String),
    instance: expect.any(String),
    retryable: true,
  });
};

const create = async (id: string, body: Record<string, unknown>): Promise<void> => {
  const answer = await call('PUT', `/v1/items/${id}`, {
    body,
    headers: { 'if-none-match': '*' },
  });
  expect(answer.status).toBe(201);
};

/** The stored version, read straight from DynamoDB (no API, no retries). */
const storedVersion = async (id: string): Promise<number | undefined> => {
  const raw = localDynamoClient(dynamo.endpoint, 1);
  try {
    const { Item } = await raw.send(
      new GetItemCommand({
        TableName: TABLE,
        Key: { pk: { S: 'T#stalled#C#items' }, sk: { S: `I#${id}` } },
      }),
    );
    return Item?.version?.N === undefined ? undefined : Number(Item.version.N);
  } finally {
    raw.destroy();
  }
};

describe('a stalled DynamoDB', () => {
  it('answers 503 with Retry-After to a GET and a conditional PUT, and normally once it resumes', async () => {
    const id = freshId();
    await create(id, { n: 1 });

    await pause();
    expectUnavailable(await call('GET', `/v1/items/${id}`));
    expectUnavailable(
      await call('PUT', `/v1/items/${id}`, { body: { n: 2 }, headers: { 'if-match': '"1"' } }),
    );
    resume();

    const read = await call('GET', `/v1/items/${id}`);
    expect(read.status).toBe(200);
    expect(read.body).toMatchObject({ id, version: 1, n: 1 });
    const write = await call('PUT', `/v1/items/${id}`, {
      body: { n: 2 },
      headers: { 'if-match': '"1"' },
    });
    expect(write.status).toBe(200);
    expect(write.body).toMatchObject({ id, version: 2, n: 2 });
  });

  // SIGSTOP reaches Java asynchronously: on a loaded machine the read can be
  // answered before Java stops, so this timing-sensitive check may run again.
  it('answers 503 when the document read itself stalls, after the SDK retried it', {
    retry: 2,
  }, async () => {
    const id = freshId();
    await create(id, { n: 1 });

    hooks = {
      match: id,
      before: (command) => (command === 'GetItemCommand' && !paused ? pause() : undefined),
    };
    expectUnavailable(await call('GET', `/v1/items/${id}`));
    expect(attempts).toEqual(['GetItemCommand', 'GetItemCommand', 'GetItemCommand']);
  });

  it('never reports a conflict when the answer to its own conditional write was lost', async () => {
    const id = freshId();
    await create(id, { n: 1 });

    // DynamoDB stalls with the write in hand, the attempt times out, then
    // DynamoDB resumes and applies it. A plain retry would fail its own
    // condition (version 1 is gone) and blame another writer; a document
    // write is a transaction whose retry carries the same ClientRequestToken,
    // so DynamoDB answers it as the write it already applied.
    let stalled = false;
    hooks = {
      match: id,
      before: (command) => {
        if (command !== 'TransactWriteItemsCommand' || stalled) return undefined;
        stalled = true;
        return pause();
      },
      failed: async () => {
        resume();
        for (let i = 0; i < 200 && (await storedVersion(id)) !== 2; i++) {
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(await storedVersion(id)).toBe(2);
      },
    };
    const answer = await call('PUT', `/v1/items/${id}`, {
      body: { n: 2 },
      headers: { 'if-match': '"1"' },
    });
    hooks = undefined;
    expect(stalled).toBe(true);
    expect(answer.body.type).not.toBe(problemType('version-mismatch'));
    expect(attempts.filter((command) => command === 'TransactWriteItemsCommand').length).toBe(2);
    expect(answer.status).toBe(200);
    expect(answer.body).toEqual({ id, version: 2, n: 2 });

    // The write did happen, exactly once.
    const read = await call('GET', `/v1/items/${id}`);
    expect(read.body).toEqual({ id, version: 2, n: 2 });
  });
});
