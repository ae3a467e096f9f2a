/**
 * The request record, Server-Timing, and what the Powertools sink writes:
 * one JSON log line per request with the conflict's details and no document
 * body or key, and EMF metrics by route, conflict type and collection.
 */
import type { APIGatewayProxyEventV2, Context } from 'aws-lambda';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { parseConfig } from '../../../functions/core/config';
import { createApiKey } from '../../../functions/core/key-admin';
import { recordDatabaseCall } from '../../../functions/core/request-stats';
import { createHttpHandler } from '../../../functions/http/app';
import { createCloudWatchObserver } from '../../../functions/http/cloudwatch-observer';
import type { RequestRecord } from '../../../functions/http/observability';
import { createMemoryApiKeyStore } from '../../helpers/memory-api-key-store';
import { createMemoryItemStore } from '../../helpers/memory-item-store';

const API_KEY = 'ck_observability-test-key';
const SECRET_FIELD = 'a-secret-value-that-must-never-be-logged';

const event = (
  method: string,
  path: string,
  params: Record<string, string>,
  route: string,
  headers: Record<string, string> = {},
  body?: unknown,
): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey: `${method} ${route}`,
    rawPath: path,
    rawQueryString: '',
    headers: {
      authorization: `Bearer ${API_KEY}`,
      ...(body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...headers,
    },
    pathParameters: params,
    requestContext: {
      requestId: `req-${Math.random()}`,
      routeKey: `${method} ${route}`,
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '203.0.113.9', userAgent: 't' },
    },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    isBase64Encoded: false,
  }) as unknown as APIGatewayProxyEventV2;

const context = { awsRequestId: 'aws-1' } as unknown as Context;

const setup = async (observer: (record: RequestRecord) => void) => {
  const keys = createMemoryApiKeyStore();
  await createApiKey(keys, {
    tenant: 'acme',
    scopes: ['read', 'write'],
    quota: 1000,
    key: API_KEY,
  });
  const memory = createMemoryItemStore();
  // The memory store makes no database calls; count each of its calls as one of 4 ms.
  const store = new Proxy(memory, {
    get(target, name, receiver) {
      const value = Reflect.get(target, name, receiver);
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        recordDatabaseCall(4, false);
        return value.apply(target, args);
      };
    },
  });
  return createHttpHandler({
    config: parseConfig({ collections: [{ name: 'notes' }] }),
    store,
    keys,
    observer,
  });
};

const ITEM = '/v1/{collection}/{id}';

describe('request records', () => {
  it('records tenant, key id, route, status, timings and a conflict with its versions', async () => {
    const records: RequestRecord[] = [];
    const handler = await setup((record) => records.push(record));
    await handler(
      event(
        'POST',
        '/v1/notes',
        { collection: 'notes' },
        '/v1/{collection}',
        {},
        {
          id: 'n1',
          secret: SECRET_FIELD,
        },
      ),
      context,
    );
    const conflict = await handler(
      event(
        'PUT',
        '/v1/notes/n1',
        { collection: 'notes', id: 'n1' },
        ITEM,
        { 'if-match': '"7"' },
        {
          secret: SECRET_FIELD,
        },
      ),
      context,
    );
    expect(conflict.statusCode).toBe(409);
    expect(conflict.headers?.['server-timing']).toMatch(
      /^db;dur=[\d.]+;desc="\d+ DynamoDB calls", total;dur=[\d.]+$/,
    );
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      route: 'POST /v1/{collection}',
      method: 'POST',
      status: 201,
      tenant: 'acme',
      keyId: expect.any(String),
      collection: 'notes',
      replayed: false,
      dynamodb: { calls: expect.any(Number), throttles: 0 },
    });
    const { calls, ms } = records[0]?.dynamodb ?? { calls: 0, ms: 0 };
    expect(calls).toBeGreaterThan(0);
    expect(ms).toBe(4 * calls);
    expect(records[1]).toMatchObject({
      route: 'PUT /v1/{collection}/{id}',
      path: '/v1/notes/n1',
      status: 409,
      problem: 'version-mismatch',
      conflict: {
        type: 'version-mismatch',
        collection: 'notes',
        id: 'n1',
        currentVersion: 1,
        ifMatch: '"7"',
      },
    });
    expect(JSON.stringify(records)).not.toContain(SECRET_FIELD);
    expect(JSON.stringify(records)).not.toContain(API_KEY);
  });
});

describe('the Powertools sink', () => {
  let lines: string[];
  beforeEach(() => {
    lines = [];
    const capture = (...args: unknown[]) => {
      lines.push(args.map(String).join(' '));
    };
    for (const name of ['log', 'info', 'warn', 'error', 'debug'] as const) {
      vi.spyOn(console, name).mockImplementation(capture);
    }
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk: unknown) => {
      lines.push(String(chunk));
      return true;
    });
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  it('writes one JSON request line with the conflict, and EMF metrics by route, type and collection', async () => {
    const handler = await setup(createCloudWatchObserver());
    await handler(
      event(
        'POST',
        '/v1/notes',
        { collection: 'notes' },
        '/v1/{collection}',
        {},
        {
          id: 'n2',
          secret: SECRET_FIELD,
        },
      ),
      context,
    );
    lines = [];
    await handler(
      event(
        'PUT',
        '/v1/notes/n2',
        { collection: 'notes', id: 'n2' },
        ITEM,
        { 'if-match': '"3"' },
        {
          secret: SECRET_FIELD,
        },
      ),
      context,
    );
    const json = lines.flatMap((line) => line.split('\n')).filter((line) => line.startsWith('{'));
    const parsed = json.map((line) => JSON.parse(line) as Record<string, unknown>);
    const logLines = parsed.filter((entry) => entry.message === 'request');
    expect(logLines).toHaveLength(1);
    expect(logLines[0]).toMatchObject({
      level: 'INFO',
      service: 'concord',
      status: 409,
      conflict: { type: 'version-mismatch', collection: 'notes', id: 'n2', currentVersion: 1 },
    });
    const emf = parsed.filter((entry) => entry._aws !== undefined);
    const names = emf.flatMap((entry) =>
      (
        entry._aws as { CloudWatchMetrics: Array<{ Metrics: Array<{ Name: string }> }> }
      ).CloudWatchMetrics.flatMap((set) => set.Metrics.map((m) => m.Name)),
    );
    expect(names).toEqual(
      expect.arrayContaining([
        'Requests',
        'Latency',
        'DynamoDBCalls',
        'DynamoDBTime',
        'Conflicts',
        'CollectionWrites',
        'CollectionConflicts',
      ]),
    );
    expect(emf.find((entry) => entry.Conflicts !== undefined)).toMatchObject({
      ConflictType: 'version-mismatch',
    });
    expect(emf.find((entry) => entry.CollectionConflicts !== undefined)).toMatchObject({
      Collection: 'notes',
      CollectionConflicts: 1,
    });
    expect(lines.join('\n')).not.toContain(SECRET_FIELD);
    expect(lines.join('\n')).not.toContain(API_KEY);
  });
});
