/**
 * Least privilege, proven against what the code really sends: every route of
 * the route table is driven through HTTP against DynamoDB Local while SDK
 * middleware records each DynamoDB action by the function group serving the
 * route. Each group may only use the actions the stack grants it.
 */
import { marshall } from '@aws-sdk/util-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config';
import { createApiKey } from '../../functions/core/key-admin';
import { createHttpHandler } from '../../functions/http/app';
import { type FunctionGroup, type HandlerName, routes } from '../../functions/http/routes';
import { createStreamProcessor } from '../../functions/http/webhook-stream';
import { createDynamoApiKeyStore } from '../../functions/store/dynamo-api-key-store';
import { createDynamoItemStore } from '../../functions/store/dynamo-item-store';
import { createDynamoSubscriptionStore } from '../../functions/store/dynamo-subscription-store';
import {
  API_KEY_PARTITION_PREFIX,
  collectionPartition,
  itemSortKey,
  subscriptionPartition,
} from '../../functions/store/keys';
import {
  READ_GROUP_KEY_ACTIONS,
  TABLE_ACTIONS,
  WEBHOOK_FUNCTION_ACTIONS,
} from '../../infra/table-access';
import { createLocalServer, type LocalServer } from '../../local/server';
import { type Answer, freshId, send } from '../helpers/http';
import { createTestTable, testDocumentClient } from '../helpers/local-dynamo';

type Command = { name: string; input: Record<string, unknown> };

/** The IAM actions a command needs (a transaction: one per part). */
const actionsOf = ({ name, input }: Command): string[] => {
  const single: Record<string, string> = {
    GetItemCommand: 'dynamodb:GetItem',
    QueryCommand: 'dynamodb:Query',
    ScanCommand: 'dynamodb:Scan',
    PutItemCommand: 'dynamodb:PutItem',
    UpdateItemCommand: 'dynamodb:UpdateItem',
    DeleteItemCommand: 'dynamodb:DeleteItem',
    BatchGetItemCommand: 'dynamodb:BatchGetItem',
    BatchWriteItemCommand: 'dynamodb:BatchWriteItem',
  };
  if (single[name]) return [single[name]];
  const parts = (input.TransactItems ?? []) as Array<Record<string, unknown>>;
  if (name === 'TransactGetItemsCommand') return parts.map(() => 'dynamodb:GetItem');
  if (name === 'TransactWriteItemsCommand') {
    const byKind: Record<string, string> = {
      Put: 'dynamodb:PutItem',
      Update: 'dynamodb:UpdateItem',
      Delete: 'dynamodb:DeleteItem',
      ConditionCheck: 'dynamodb:ConditionCheckItem',
    };
    return parts.flatMap((part) => Object.keys(part).map((kind) => byKind[kind] ?? kind));
  }
  return [`unknown:${name}`];
};

const partitionOf = (input: Record<string, unknown>): string => {
  const key = (input.Key ?? {}) as { pk?: { S?: string } | string };
  return typeof key.pk === 'string' ? key.pk : (key.pk?.S ?? '');
};

let server: LocalServer;
let subscriptionStore: ReturnType<typeof createDynamoSubscriptionStore>;
/** Partitions of the webhook function's requests. */
const webhookPartitions = new Set<string>();
let auth: Record<string, string>;
/** Whose request runs now; the test's own setup is nobody's. */
let group: FunctionGroup | 'setup' | 'webhook' = 'setup';
const used = new Map<FunctionGroup | 'setup' | 'webhook', Set<string>>();
const keyWrites = new Map<FunctionGroup | 'setup' | 'webhook', Set<string>>();
const covered = new Set<HandlerName>();

beforeAll(async () => {
  const tableName = await createTestTable();
  const client = testDocumentClient();
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const command: Command = {
        name: context.commandName ?? '',
        input: args.input as Record<string, unknown>,
      };
      for (const action of actionsOf(command)) {
        // Admission writes only API key records; counted apart.
        const onKey =
          action === 'dynamodb:UpdateItem' &&
          partitionOf(command.input).startsWith(API_KEY_PARTITION_PREFIX);
        const into = onKey ? keyWrites : used;
        if (group === 'webhook') {
          const values = (command.input.ExpressionAttributeValues ?? {}) as Record<string, unknown>;
          webhookPartitions.add(partitionOf(command.input) || String(values[':pk'] ?? ''));
        }
        if (!into.has(group)) into.set(group, new Set());
        into.get(group)?.add(action);
      }
      return next(args);
    },
    { step: 'initialize', name: 'recordTableAccess' },
  );
  const keys = createDynamoApiKeyStore({ client, tableName });
  subscriptionStore = createDynamoSubscriptionStore({ client, tableName });
  const { key } = await createApiKey(keys, {
    tenant: 'access',
    scopes: ['read', 'write'],
    quota: 10_000,
  });
  auth = { authorization: `Bearer ${key}` };
  const handler = createHttpHandler({
    config: parseConfig({
      collections: [
        { name: 'items' },
        { name: 'people', unique: ['email'] },
        { name: 'merged', conflictPolicy: 'merge', fields: { '/n': 'counter' } },
      ],
    }),
    store: createDynamoItemStore({ client, tableName }),
    keys,
    subscriptions: subscriptionStore,
  });
  server = await createLocalServer({ handler, host: '127.0.0.1', port: 0 });
  used.clear();
  keyWrites.clear();
});
afterAll(() => server.close());

/** Sends one request as the function of `handler`'s route group would serve it. */
const call = async (
  handler: HandlerName,
  method: string,
  path: string,
  options: Parameters<typeof send>[3] = {},
): Promise<Answer> => {
  const route = routes.find((r) => r.handler === handler && r.method === method);
  if (!route) throw new Error(`no ${method} route for ${handler}`);
  group = route.group;
  covered.add(handler);
  return send(server.url, method, path, { ...options, headers: { ...auth, ...options.headers } });
};

describe('table access by function group', () => {
  it('sends only the actions the stack grants, over every route of the route table', async () => {
    const id = freshId();
    const doc = `/v1/items/${id}`;
    expect((await call('items.create', 'POST', '/v1/items', { body: { id, n: 1 } })).status).toBe(
      201,
    );
    await call('items.create', 'POST', '/v1/people', { body: { id, email: `${id}@example.com` } });
    await call('items.create', 'POST', '/v1/items', {
      body: { n: 1 },
      headers: { 'idempotency-key': `k-${id}` },
    });
    await call('items.list', 'GET', '/v1/items?limit=5');
    await call('items.get', 'GET', doc);
    await call('items.replace', 'PUT', doc, { body: { n: 2 }, headers: { 'if-match': '"1"' } });
    await call('items.replace', 'PUT', `/v1/people/${id}`, {
      body: { email: `new-${id}@example.com` },
      headers: { 'if-match': '"1"' },
    });
    await call('items.patch', 'PATCH', doc, {
      raw: '{"n":3}',
      headers: { 'content-type': 'application/merge-patch+json', 'if-match': '"2"' },
    });
    await call('items.patch', 'PATCH', doc, {
      raw: '{"n":4}',
      headers: {
        'content-type': 'application/merge-patch+json',
        'if-match': '"3"',
        'idempotency-key': `p-${id}`,
      },
    });
    await call('versions.list', 'GET', `${doc}/versions`);
    await call('versions.get', 'GET', `${doc}/versions/1`);
    await call('versions.restore', 'POST', `${doc}/versions/1/restore`, {
      headers: { 'if-match': '"4"' },
    });
    const lease = await call('locks.acquire', 'POST', `${doc}/lock`);
    const token = { 'lock-token': lease.body.lockToken as string };
    await call('locks.renew', 'PUT', `${doc}/lock`, { headers: token });
    await call('locks.release', 'DELETE', `${doc}/lock`, { headers: token });
    await call('items.delete', 'DELETE', doc, { headers: { 'if-match': '"5"' } });
    await call('items.delete', 'DELETE', `/v1/people/${id}`, { headers: { 'if-match': '"2"' } });
    await call('openapi.get', 'GET', '/v1/openapi.json');
    await call('docs.page', 'GET', '/docs');
    await call('docs.script', 'GET', '/docs/redoc.standalone.js');
    const other = freshId();
    await call('items.create', 'POST', '/v1/items', { body: { id: other, n: 1 } });
    const ran = await call('transactions.run', 'POST', '/v1/transactions', {
      body: {
        operations: [
          { op: 'check', collection: 'items', id: other, ifMatch: '"1"' },
          { op: 'create', collection: 'items', id: freshId(), document: { n: 1 } },
          { op: 'patch', collection: 'items', id: other, ifMatch: '"1"', patch: { n: 2 } },
        ].slice(0, 2),
      },
    });
    expect(ran.status).toBe(200);
    const begun = await call('transactions.begin', 'POST', '/v1/transactions/staged', {
      body: { ttlSeconds: 60 },
    });
    const tx = `/v1/transactions/staged/${begun.body.id as string}`;
    await call('transactions.add', 'POST', `${tx}/operations`, {
      body: { op: 'patch', collection: 'items', id: other, ifMatch: '"1"', patch: { n: 2 } },
    });
    await call('transactions.get', 'GET', tx);
    expect((await call('transactions.commit', 'POST', `${tx}/commit`)).status).toBe(200);
    const second = await call('transactions.begin', 'POST', '/v1/transactions/staged', {
      body: { ttlSeconds: 60 },
    });
    await call(
      'transactions.abort',
      'DELETE',
      `/v1/transactions/staged/${second.body.id as string}`,
    );

    const hook = await call('subscriptions.create', 'POST', '/v1/subscriptions', {
      body: { url: 'https://hooks.example.com/concord', events: ['document.created'] },
    });
    expect(hook.status).toBe(201);
    await call('subscriptions.list', 'GET', '/v1/subscriptions');
    expect(
      (await call('subscriptions.delete', 'DELETE', `/v1/subscriptions/${hook.body.id as string}`))
        .status,
    ).toBe(204);
    // A stale write: merged under the merge policy, recorded as a conflict under reject.
    const merged = `/v1/merged/${freshId()}`;
    await call('items.replace', 'PUT', merged, {
      body: { n: 1 },
      headers: { 'if-none-match': '*' },
    });
    await call('items.replace', 'PUT', merged, { body: { n: 2 }, headers: { 'if-match': '"1"' } });
    const mergedPut = await call('items.replace', 'PUT', merged, {
      body: { n: 3 },
      headers: { 'if-match': '"1"' },
    });
    expect(mergedPut.status).toBe(200);
    const mergedPatch = await call('items.patch', 'PATCH', merged, {
      raw: '{"n":4}',
      headers: { 'content-type': 'application/merge-patch+json', 'if-match': '"2"' },
    });
    expect(mergedPatch.status).toBe(200);
    const refused = await call('items.replace', 'PUT', `/v1/items/${other}`, {
      body: { n: 9 },
      headers: { 'if-match': '"1"' },
    });
    expect(refused.status).toBe(409);
    const conflict = `/v1/conflicts/${refused.body.conflict.id as string}`;
    expect((await call('conflicts.list', 'GET', '/v1/conflicts?status=open')).status).toBe(200);
    expect((await call('conflicts.get', 'GET', conflict)).status).toBe(200);
    const resolved = await call('conflicts.resolve', 'POST', `${conflict}/resolution`, {
      body: { strategy: 'ours' },
    });
    expect(resolved.status).toBe(200);

    // Every route was driven: a new route must be added here, so its access is checked.
    expect([...new Set(routes.map((r) => r.handler))].filter((h) => !covered.has(h))).toEqual([]);
    for (const g of ['read', 'write', 'coordinate', 'public'] as const) {
      const granted = new Set(TABLE_ACTIONS[g]);
      expect(
        [...(used.get(g) ?? [])].filter((action) => !granted.has(action)),
        g,
      ).toEqual([]);
    }
    // Admission claims rate-limit tokens in blocks per instance, so a read may need no key write.
    for (const g of ['read', 'write', 'coordinate', 'public'] as const) {
      const granted =
        g === 'read' ? READ_GROUP_KEY_ACTIONS : g === 'public' ? [] : ['dynamodb:UpdateItem'];
      expect(
        [...(keyWrites.get(g) ?? [])].filter((a) => !granted.includes(a)),
        g,
      ).toEqual([]);
    }
    // Each granted action is really used by some route: nothing granted "just in case".
    for (const g of ['read', 'write', 'coordinate'] as const) {
      expect([...(used.get(g) ?? [])].sort(), g).toEqual([...TABLE_ACTIONS[g]].sort());
    }
  });
});

describe('table access of the webhook function', () => {
  it('only queries subscription partitions, with the actions the stack grants it', async () => {
    group = 'setup';
    const tenant = 'access';
    await subscriptionStore.putSubscription(
      tenant,
      {
        id: '01JAAAAAAAAAAAAAAAAAAAAAAA',
        url: 'https://hooks.example.com/x',
        events: ['document.created'],
        createdAt: new Date().toISOString(),
        secret: 'whsec_x',
      },
      25,
    );
    const sent: string[] = [];
    const processor = createStreamProcessor({
      subscriptions: subscriptionStore,
      transport: async (request) => {
        sent.push(request.url);
        return { kind: 'delivered', status: 204 };
      },
    });
    group = 'webhook';
    await processor.process([
      {
        eventName: 'INSERT',
        dynamodb: {
          NewImage: marshall({
            pk: collectionPartition(tenant, 'items'),
            sk: itemSortKey('d1'),
            id: 'd1',
            version: 1,
            state: 'live',
            body: '{}',
          }),
        },
      },
    ]);
    group = 'setup';
    expect(sent).toEqual(['https://hooks.example.com/x']);
    expect([...(used.get('webhook') ?? [])]).toEqual([...WEBHOOK_FUNCTION_ACTIONS]);
    expect([...webhookPartitions]).toEqual([subscriptionPartition(tenant)]);
  });
});
