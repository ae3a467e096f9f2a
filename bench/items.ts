/**
 * Items API benchmark, one run against DynamoDB Local, the handler called
 * in process as Lambda calls it:
 *  1. per API operation, the DynamoDB round trips on its critical path and
 *     the DynamoDB calls it made (SDK middleware, per request), sequentially
 *     and under 32 concurrent connections (on one instance, and on 32);
 *  2. what a cold instance's first request costs, and what floods of 401,
 *     403 and 429 answers cost.
 * The handler's latency over raw SDK calls is bench/overhead.ts.
 */
import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { parseConfig } from '../functions/core/config';
import { createApiKey } from '../functions/core/key-admin';
import { admissionOf } from '../functions/http/admission';
import { createHttpHandler, type HttpHandler } from '../functions/http/app';
import { matchRoute } from '../functions/http/route-match';
import { createDocumentClient } from '../functions/store/client';
import { createDynamoApiKeyStore } from '../functions/store/dynamo-api-key-store';
import { createDynamoItemStore } from '../functions/store/dynamo-item-store';
import { toApiGatewayEvent } from '../local/api-gateway-event';
import { ensureTable, LOCAL_CREDENTIALS, LOCAL_REGION } from '../local/dynamo-local';
import { sequentialDepth, type TracedCall, traceCalls } from './call-trace';
import { itemsScenario, type Send } from './items-scenario';

export interface ItemsBenchResult {
  readonly markdown: string;
}

/** One request as measured. */
interface Sample {
  readonly status: number;
  /** Round trips on the critical path: waited for admission, then the operation's own chain. */
  readonly criticalPath: number;
  /** Admission calls the request waited for (0: admitted from the block). */
  readonly waited: number;
  readonly calls: number;
  readonly admissionCalls: number;
}

interface ModeResult {
  readonly label: string;
  readonly byOperation: Map<string, Sample[]>;
}

const CONNECTIONS = 32;

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};
const mean = (values: number[]) => values.reduce((a, b) => a + b, 0) / values.length;

export const runItemsBench = async (
  endpoint: string,
  { rounds = 20, concurrentRounds = 4 } = {},
): Promise<ItemsBenchResult> => {
  const tableName = `bench-${randomUUID().slice(0, 8)}`;
  const client = createDocumentClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
  });
  await ensureTable(client, tableName);
  const tracer = traceCalls(client);
  const keys = createDynamoApiKeyStore({ client, tableName });
  const store = createDynamoItemStore({ client, tableName });
  const config = parseConfig({ collections: [{ name: 'items' }] });
  const newKey = async (quota = 1_000_000, scopes = ['read', 'write']) =>
    (await createApiKey(keys, { tenant: 'bench', scopes, quota })).key;
  const key = await newKey();
  const newInstance = () => createHttpHandler({ config, store, keys });

  /** The API Gateway event of a request, as the HTTP API builds it. */
  const eventFor = (
    apiKey: string,
    method: string,
    url: string,
    headers: Record<string, string> = {},
    body?: unknown,
  ) => {
    const match = matchRoute(method, url.split('?')[0] ?? url);
    if (match.kind !== 'matched') throw new Error(`no route for ${method} ${url}`);
    const all = {
      'content-type': 'application/json',
      authorization: `Bearer ${apiKey}`,
      ...headers,
    };
    return toApiGatewayEvent(
      {
        method,
        url,
        headers: Object.fromEntries(Object.entries(all).map(([k, v]) => [k, [v]])),
        body: Buffer.from(body === undefined ? '' : JSON.stringify(body)),
        sourceIp: '127.0.0.1',
      },
      { routeKey: match.routeKey, pathParameters: match.pathParameters },
      randomUUID(),
    );
  };

  /** A sender on one instance that records every request it sends into `sink`. */
  const sender =
    (handler: HttpHandler, sink: Sample[], apiKey = key): Send =>
    async (method, url, headers = {}, body) => {
      const event = eventFor(apiKey, method, url, headers, body);
      const { result, calls } = await tracer.run(() => handler(event, {} as Context));
      const own = calls.filter((call: TracedCall) => !call.admission);
      const waited = admissionOf(event)?.roundTrips ?? 0;
      sink.push({
        status: result.statusCode ?? 0,
        criticalPath: waited + sequentialDepth(own),
        waited,
        calls: calls.length,
        admissionCalls: calls.length - own.length,
      });
      return result;
    };

  /** Runs the scenario `times` times on one instance; the samples by operation. */
  const runScenarios = async (handler: HttpHandler, times: number, into: Map<string, Sample[]>) => {
    for (let round = 0; round < times; round++) {
      const sink: Sample[] = [];
      for (const [name, run] of itemsScenario(sender(handler, sink))) {
        await run();
        const sample = sink.pop();
        if (sample) into.set(name, [...(into.get(name) ?? []), sample]);
      }
    }
  };
  const warm = (handler: HttpHandler) => runScenarios(handler, 1, new Map());

  // 1. Critical path and calls per operation, in three traffic shapes.
  const modes: ModeResult[] = [];
  const sequential = newInstance();
  await warm(sequential);
  modes.push({ label: 'sequential', byOperation: new Map() });
  await runScenarios(sequential, rounds, modes[0]?.byOperation ?? new Map());

  const shared = newInstance();
  await warm(shared);
  const onOne = new Map<string, Sample[]>();
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      const mine = new Map<string, Sample[]>();
      await runScenarios(shared, concurrentRounds, mine);
      for (const [name, samples] of mine) onOne.set(name, [...(onOne.get(name) ?? []), ...samples]);
    }),
  );
  modes.push({ label: `${CONNECTIONS} connections, one instance`, byOperation: onOne });

  const fleet = Array.from({ length: CONNECTIONS }, () => newInstance());
  await Promise.all(fleet.map((instance) => warm(instance)));
  const onMany = new Map<string, Sample[]>();
  await Promise.all(
    fleet.map(async (instance) => {
      const mine = new Map<string, Sample[]>();
      await runScenarios(instance, concurrentRounds, mine);
      for (const [name, samples] of mine)
        onMany.set(name, [...(onMany.get(name) ?? []), ...samples]);
    }),
  );
  modes.push({ label: `${CONNECTIONS} instances, one connection each`, byOperation: onMany });

  // 2. A cold instance's first request, and floods.
  const cold: Sample[] = [];
  for (let i = 0; i < 5; i++) await sender(newInstance(), cold)('GET', `/v1/items/cold-${i}`);
  const flood = async (apiKey: string, method: string, times: number) => {
    const instance = newInstance();
    const sink: Sample[] = [];
    const send = sender(instance, sink, apiKey);
    tracer.untraced.length = 0;
    await Promise.all(
      Array.from({ length: CONNECTIONS }, async (_, c) => {
        for (let i = c; i < times; i += CONNECTIONS) {
          await send(
            method,
            method === 'GET' ? '/v1/items' : '/v1/items',
            {},
            method === 'GET' ? undefined : {},
          );
        }
      }),
    );
    const statuses = new Map<number, number>();
    for (const s of sink) statuses.set(s.status, (statuses.get(s.status) ?? 0) + 1);
    const keyCalls = sink.reduce((sum, s) => sum + s.admissionCalls, 0);
    const otherCalls = sink.reduce((sum, s) => sum + s.calls - s.admissionCalls, 0);
    return {
      statuses: [...statuses].map(([status, n]) => `${n} × ${status}`).join(', '),
      keyCalls: keyCalls + tracer.untraced.length,
      otherCalls,
    };
  };
  const floods = [
    ['unknown key (401)', await flood(`ck_${randomUUID()}`, 'GET', 1_000)],
    ['read-only key writing (403)', await flood(await newKey(1_000_000, ['read']), 'POST', 1_000)],
    ['key with quota 10 per minute (429 past 10)', await flood(await newKey(10), 'GET', 1_000)],
  ] as const;

  client.destroy();

  const names = [...(modes[0]?.byOperation.keys() ?? [])];
  const cell = (samples: Sample[] | undefined) => {
    if (!samples?.length) return 'n/a | n/a';
    const paths = samples.map((s) => s.criticalPath);
    const p50 = percentile(paths, 50);
    const max = Math.max(...paths);
    const calls = mean(samples.map((s) => s.calls));
    const admission = mean(samples.map((s) => s.admissionCalls));
    return `${p50}${max > p50 ? ` (max ${max})` : ''} | ${calls.toFixed(2)} (${admission.toFixed(2)})`;
  };
  const statusOf = (samples: Sample[] | undefined) => {
    const counts = new Map<number, number>();
    for (const s of samples ?? []) counts.set(s.status, (counts.get(s.status) ?? 0) + 1);
    return [...counts.keys()].join(', ');
  };
  const summary = modes.map((mode) => {
    const all = [...mode.byOperation.values()].flat();
    const admission = all.reduce((sum, s) => sum + s.admissionCalls, 0);
    const waited = all.filter((s) => s.waited > 0).length;
    return `| ${mode.label} | ${all.length} | ${(admission / all.length).toFixed(3)} | ${waited} |`;
  });
  const coldPaths = cold.map((s) => s.criticalPath);
  const coldCalls = cold.map((s) => s.calls);

  const markdown = [
    '### DynamoDB round trips and calls per API operation',
    '',
    `Each request's DynamoDB calls are recorded by SDK middleware in the request's async context.`,
    '"Critical path" is the round trips the request waited for one after another: the admission',
    "calls it waited for (0 when it was admitted from the instance's block of tokens) plus the",
    "longest chain of its own operation's calls (p50, and the maximum where it differs).",
    '"Calls" is the mean number of DynamoDB calls the request made, in parentheses those to API key',
    'records: block claims, which mostly run alongside the operation. Instances are warmed by one',
    `round of the scenario first. Sequential: ${rounds} rounds on one instance; concurrent: ${CONNECTIONS}`,
    `connections × ${concurrentRounds} rounds, on one instance (as \`npm start\` serves them) or on`,
    `${CONNECTIONS} instances, one connection each (as Lambda serves them).`,
    '',
    `| operation | status | sequential: critical path | calls (admission) | ${CONNECTIONS} connections, one instance: critical path | calls (admission) | ${CONNECTIONS} instances: critical path | calls (admission) |`,
    '|---|---|---|---|---|---|---|---|',
    ...names.map(
      (name) =>
        `| ${name} | ${statusOf(modes[0]?.byOperation.get(name))} | ${modes.map((mode) => cell(mode.byOperation.get(name))).join(' | ')} |`,
    ),
    '',
    '| traffic | requests | admission calls per request | requests that waited for an admission call |',
    '|---|---|---|---|',
    ...summary,
    '',
    `A cold instance's first request (GET, 5 fresh instances): critical path ${percentile(coldPaths, 50)}`,
    `round trips (the first claim, then the GetItem), ${percentile(coldCalls, 50)} DynamoDB calls (the two first-claim writes,`,
    'sent at once, the GetItem, and a block claim alongside it when the first claim left no token).',
    '',
    `### Floods (1,000 requests, ${CONNECTIONS} connections, one fresh instance)`,
    '',
    'The calls to the key record are all the admission cost; the other calls are the operations of the',
    'requests that were admitted.',
    '',
    '| key | answers | calls to API key records | other DynamoDB calls |',
    '|---|---|---|---|',
    ...floods.map(
      ([name, { statuses, keyCalls, otherCalls }]) =>
        `| ${name} | ${statuses} | ${keyCalls} | ${otherCalls} |`,
    ),
    '',
  ].join('\n');
  return { markdown };
};
