/**
 * DynamoDB failing under the store while every kind of write goes through
 * the real handler: throttling, internal errors, timeouts, aborted requests,
 * reset connections and transaction conflicts, injected inside the SDK (so
 * its retries run), some before DynamoDB sees the request and some after it
 * carried it out (the answer is lost). Plus a connection that goes silent.
 *
 * After every request the document and its idempotency record are read
 * straight from the table: the write happened whole or not at all, the
 * answer says so or says 503 (unknown), and a retry with the same
 * Idempotency-Key gets the stored answer.
 *
 * Document writes are one TransactWriteItems each (with their history
 * entry): the SDK's retries carry one ClientRequestToken, so a retry after a
 * lost answer is told the real outcome. Lease writes without a key are one
 * UpdateItem, which is never retried after a lost answer: the answer is 503
 * "may or may not have been applied".
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDocumentClient } from '../../functions/store/client';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamo-local';
import { freshId } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';
import { testDocumentClient, testEndpoint, uniqueName } from '../helpers/local-dynamo';
import { canonical, type RecordReader, recordReader } from './lib/document-records';
import {
  FAULT_KINDS,
  type FaultKind,
  type FaultPlan,
  faultHeader,
  injectFaults,
  LOST_ANSWER_KINDS,
  takeInjected,
  withFaultPlans,
} from './lib/dynamo-faults';
import { type ExchangeAnswer, exchange, exchangeAgent } from './lib/http-exchange';
import { problemIssues } from './lib/problem-checks';
import { seededRandom, seedFrom } from './lib/random';
import { startStallingProxy } from './lib/stalling-proxy';
import { type Kind, type Planned, planWrite } from './lib/write-plans';

const WORKERS = 8;
const REQUESTS_PER_WORKER = 75;
const DOCUMENTS_PER_WORKER = 3;
const FAULT_CHANCE = 0.6;
const KEYED_CHANCE = 0.4;

const seed = seedFrom('STRESS_SEED');
const random = seededRandom(seed);
const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)] as T;

/** A fault for one request: which call, what, before or after DynamoDB acts, for how long. */
const faultPlan = (kinds: readonly FaultKind[]): FaultPlan => {
  const kind = pick(kinds);
  const lost = LOST_ANSWER_KINDS.includes(kind) && random() < 0.4;
  return {
    call: Math.floor(random() * 3),
    kind,
    when: lost ? 'after' : 'before',
    // 1 or 2 are inside the SDK's three attempts; 3 outlasts them.
    attempts: pick([1, 2, 3, 3]),
  };
};

/** What happened, counted by label, and what went wrong, by category with a first example. */
const makeReport = () => {
  const counts = new Map<string, number>();
  const failures = new Map<string, { n: number; example: string }>();
  return {
    count: (label: string) => counts.set(label, (counts.get(label) ?? 0) + 1),
    get: (label: string) => counts.get(label) ?? 0,
    fail: (category: string, example: string) => {
      const seen = failures.get(category);
      failures.set(category, { n: (seen?.n ?? 0) + 1, example: seen?.example ?? example });
    },
    failures: () =>
      [...failures.entries()].map(
        ([category, { n, example }]) => `${n} × ${category}; first: ${example}`,
      ),
    lines: () =>
      [...counts.entries()]
        .sort(([a], [b]) => (a < b ? -1 : 1))
        .map(([label, n]) => `  ${label}: ${n}`),
  };
};
type Report = ReturnType<typeof makeReport>;

const agent = exchangeAgent(WORKERS * 2);
afterAll(() => agent.destroy());

interface FaultyApi {
  readonly api: TestApi;
  readonly records: RecordReader;
  readonly maxAttempts: number;
  readonly sdkAttempts: () => number;
  /** What is left of the SDK's retry quota (it starts at 500; a retry costs 5, or 10 after a timeout). */
  readonly retryQuota: () => Promise<number | undefined>;
  /** What the server logged: outages are expected warnings, anything else is a bug. */
  readonly logged: string[];
}

/**
 * The API over a fresh table, its store on a fresh client with faults
 * injected: each test starts with the SDK's full retry quota.
 */
const withFaultyApi = async (test: (faulty: FaultyApi) => Promise<void>) => {
  const client = testDocumentClient();
  const faults = injectFaults(client);
  const api = await startApi({ storeClient: client, wrapHandler: withFaultPlans });
  const logged: string[] = [];
  // The server logs every outage; keep them for the report instead of the console.
  const log = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => {
    logged.push(args.map(String).join(' '));
  });
  try {
    await test({
      api,
      records: recordReader(api.client, api.tableName, api.tenant, 'items'),
      maxAttempts: await client.config.maxAttempts(),
      sdkAttempts: faults.attempts,
      retryQuota: async () =>
        ((await client.config.retryStrategy()) as { getCapacity?: () => number }).getCapacity?.(),
      logged,
    });
  } finally {
    log.mockRestore();
    await api.close();
    client.destroy();
  }
};

const send = (api: TestApi, request: Planned, extra: Record<string, string> = {}) =>
  exchange(api.baseUrl, agent, {
    method: request.method,
    path: request.path,
    headers: Object.entries({ ...api.headers, ...request.headers, ...extra }),
    ...(request.body !== undefined ? { body: request.body } : {}),
  });

const bodyOf = (answer: ExchangeAnswer) =>
  answer.body.length > 0 ? JSON.parse(answer.body.toString()) : undefined;
const typeOf = (answer: ExchangeAnswer): string =>
  String(bodyOf(answer)?.type ?? '').replace(/^.*#problem-/, '');

interface Outcome {
  readonly request: Planned;
  readonly answer: ExchangeAnswer;
  /** The table holds exactly what the write should leave. */
  readonly applied: boolean;
  /** The record is byte for byte what it was before. */
  readonly unchanged: boolean;
  /** A fault struck after DynamoDB carried the call out. */
  readonly lostAnswer: boolean;
  readonly where: string;
}

/** Checks one answer against what the table holds after it. */
const judge = (
  report: Report,
  { request, answer, applied, unchanged, lostAnswer, where }: Outcome,
) => {
  const { status } = answer;
  const type = typeOf(answer);
  if (!applied && !unchanged) report.fail('partial or foreign change', where);
  if (status >= 400) {
    for (const issue of problemIssues(status, answer.headers, answer.body, request.method)) {
      report.fail(`${status} ${type} is not a proper problem: ${issue}`, where);
    }
  }
  if (status >= 200 && status < 300) {
    if (status !== request.status) report.fail(`answered ${status}, not ${request.status}`, where);
    if (!applied) report.fail('2xx but the table does not hold the write', where);
    if (request.view && canonical(bodyOf(answer)) !== canonical(request.view)) {
      report.fail('2xx with another document than written', where);
    }
    return;
  }
  if (status === 503) {
    if (
      type !== 'unavailable' ||
      bodyOf(answer)?.retryable !== true ||
      !answer.headers['retry-after']
    ) {
      report.fail('503 without unavailable, retryable and Retry-After', where);
    }
    report.count(`answered 503, the write ${applied ? 'done' : 'not done'}`);
    return;
  }
  if (status === 409 && (type === 'idempotency-in-flight' || type === 'transaction-conflict')) {
    if (bodyOf(answer)?.retryable !== true || !answer.headers['retry-after']) {
      report.fail(`${type} without retryable and Retry-After`, where);
    }
    if (applied && !lostAnswer) report.fail(`${type} but the write happened`, where);
    report.count(`answered 409 ${type}`);
    return;
  }
  // Anything else, a 409 or 412 that the write itself caused after its answer was lost
  // included, is wrong: the request was valid for the state it was planned on.
  report.fail(
    `answered ${status} ${type}${lostAnswer && applied ? ' for a write that happened' : ''}`,
    where,
  );
};

/** A retry with the same key gets the stored answer, or writes now if the first did not. */
const checkKeyedRetry = async (
  { api, records, logged }: FaultyApi,
  report: Report,
  id: string,
  outcome: Outcome,
) => {
  const { request, answer, applied, where } = outcome;
  if (!request.keyed) return;
  const recorded = await records.hasIdempotencyRecord(request.keyed);
  if (recorded !== applied) {
    report.fail(`idempotency record ${recorded ? 'without' : 'missing for'} the write`, where);
  }
  // A client retries a 503 too: with the SDK's retry quota spent, a passing hiccup of
  // DynamoDB Local (a slow connect on this busy machine) is answered 503 at once.
  let retry = await send(api, request);
  for (let again = 0; retry.status === 503 && again < 5; again++) {
    report.count('keyed retries answered 503, sent again');
    retry = await send(api, request);
  }
  const replayed = retry.headers['idempotent-replayed'] === 'true';
  const settled = request.expected.holds((await records.document(id)).snapshot);
  if (retry.status !== request.status || !settled || replayed !== applied) {
    report.fail(
      `keyed retry answered ${retry.status}, replayed ${replayed}, after a first write that ${applied ? 'happened' : 'did not'}`,
      `${where}: ${retry.body.toString().slice(0, 200)}; server log: ${logged.find((line) => line.includes(retry.headers['apigw-requestid'] ?? '-'))}`,
    );
  } else {
    report.count(applied ? 'keyed retries answered by replay' : 'keyed retries that wrote');
  }
  if (answer.status < 300 && retry.body.toString() !== answer.body.toString()) {
    report.fail('the replay differs from the first answer', where);
  }
};

interface Workload {
  readonly workers: number;
  readonly requests: number;
  readonly faultChance: number;
  readonly kinds: readonly FaultKind[];
  /** Only these write kinds where the state allows (default: all). */
  readonly writes?: readonly Kind[];
  readonly keyedChance: number;
  /** Overrides the plan of each faulted request. */
  readonly fault?: () => FaultPlan;
}

/** Runs a workload; every request is judged and counted in the report. */
const runWorkload = async (faulty: FaultyApi, report: Report, workload: Workload) => {
  const { api, records, maxAttempts } = faulty;
  const run = uniqueName('f');
  const worker = async (w: number) => {
    const ids = Array.from({ length: DOCUMENTS_PER_WORKER }, () => freshId());
    for (let i = 0; i < workload.requests; i++) {
      const id = pick(ids);
      const before = await records.document(id);
      const planId = `${run}-${w}-${i}`;
      const request = planWrite(id, before.snapshot, {
        random,
        keyedChance: workload.keyedChance,
        keyPrefix: planId,
        ...(workload.writes ? { kinds: workload.writes } : {}),
      });
      const fault =
        random() < workload.faultChance
          ? (workload.fault?.() ?? faultPlan(workload.kinds))
          : undefined;
      const answer = await send(api, request, fault ? faultHeader(planId, fault) : {});
      const injected = fault ? takeInjected(planId) : [];
      const after = await records.document(id);
      const keyed = request.keyed ? ' with Idempotency-Key' : '';
      const outcome: Outcome = {
        request,
        answer,
        applied: request.expected.holds(after.snapshot),
        unchanged: after.raw === before.raw,
        lostAnswer: injected.some((f) => f.when === 'after'),
        where: `${request.kind}${keyed} of ${id}, fault ${JSON.stringify(fault)}, injected ${JSON.stringify(injected)}`,
      };
      report.count('requests');
      report.count(`requests: ${request.kind}${keyed}`);
      for (const f of injected) {
        report.count(`faults injected: ${f.kind} ${f.when} DynamoDB acted`);
        report.count(`faults injected on ${f.command}`);
      }
      const lost = injected.find((f) => f.when === 'after');
      if (lost) {
        const unconfirmed = /may or may not have been applied/.test(
          String(bodyOf(answer)?.detail ?? ''),
        );
        report.count(
          `lost answer of ${lost.command} -> ${answer.status}${unconfirmed ? ' may or may not have been applied' : ''}, the write ${outcome.applied ? 'done' : 'not done'}`,
        );
      }
      if (injected.length > 0) {
        report.count('requests with a fault');
        report.count(
          `fault on ${injected.length} of ${maxAttempts} SDK attempts -> ${answer.status}`,
        );
      }
      judge(report, outcome);
      await checkKeyedRetry(faulty, report, id, outcome);
    }
  };
  await Promise.all(Array.from({ length: workload.workers }, (_, w) => worker(w)));
};

const print = async (title: string, faulty: FaultyApi, report: Report) => {
  const { maxAttempts, sdkAttempts, logged } = faulty;
  const bugs = logged.filter((line) => !line.includes('"level":"warn"'));
  console.log(
    [
      `${title} (STRESS_SEED=${seed}; SDK maxAttempts ${maxAttempts}; ${sdkAttempts()} SDK attempts; ` +
        `retry quota left ${await faulty.retryQuota()} of 500):`,
      ...report.lines(),
      `  server log: ${logged.length - bugs.length} outage warnings, ${bugs.length} other lines`,
      ...bugs.slice(0, 3).map((line) => `    ${line.slice(0, 300)}`),
      ...report.failures().map((f) => `  FAILED ${f}`),
    ].join('\n'),
  );
};

describe('DynamoDB faults under the store', () => {
  it('answers 503 or a retryable 409, never 500, writes whole or not at all, and replays keyed retries', async () => {
    const report = makeReport();
    await withFaultyApi(async (faulty) => {
      await runWorkload(faulty, report, {
        workers: WORKERS,
        requests: REQUESTS_PER_WORKER,
        faultChance: FAULT_CHANCE,
        // An aborted SDK call has a test of its own below.
        kinds: FAULT_KINDS.filter((kind) => kind !== 'aborted'),
        keyedChance: KEYED_CHANCE,
      });
      await print('fault injection', faulty, report);
    });
    expect(report.failures()).toEqual([]);
    expect(report.get('requests with a fault')).toBeGreaterThan(100);
    // Both write paths were struck: document transactions and single-item lease updates.
    expect(report.get('faults injected on TransactWriteItemsCommand')).toBeGreaterThan(0);
    expect(report.get('faults injected on UpdateItemCommand')).toBeGreaterThan(0);
  });

  it('answers 503 when an SDK call is aborted', async () => {
    const report = makeReport();
    await withFaultyApi(async (faulty) => {
      await runWorkload(faulty, report, {
        workers: 4,
        requests: 8,
        faultChance: 1,
        kinds: ['aborted'],
        keyedChance: KEYED_CHANCE,
      });
      await print('aborted SDK calls', faulty, report);
    });
    expect(report.failures()).toEqual([]);
    expect(report.get('requests with a fault')).toBeGreaterThan(0);
  });

  it('answers a document write whose transaction answer was lost with its real result', async () => {
    const report = makeReport();
    await withFaultyApi(async (faulty) => {
      await runWorkload(faulty, report, {
        workers: 4,
        requests: 8,
        faultChance: 1,
        kinds: ['connection-reset'],
        writes: ['create (POST)', 'replace (PUT If-Match)', 'merge patch', 'delete'],
        keyedChance: 0,
        // The answer of the write itself is lost once; the SDK's retry, under the same
        // ClientRequestToken, is let through and told that the transaction was applied.
        fault: () => ({
          call: 0,
          command: 'TransactWriteItemsCommand',
          kind: 'connection-reset',
          when: 'after',
          attempts: 1,
        }),
      });
      await print('lost answers of document writes', faulty, report);
    });
    expect(report.failures()).toEqual([]);
    expect(report.get('requests with a fault')).toBe(report.get('requests'));
    const recovered = report
      .lines()
      .filter((line) =>
        /lost answer of TransactWriteItemsCommand -> 20[014], the write done/.test(line),
      )
      .reduce((sum, line) => sum + Number(line.replace(/^.*: /, '')), 0);
    expect(recovered).toBe(report.get('requests'));
  });

  it('answers a lease write whose UpdateItem answer was lost with 503 "may or may not have been applied"', async () => {
    const report = makeReport();
    await withFaultyApi(async (faulty) => {
      await runWorkload(faulty, report, {
        workers: 4,
        requests: 8,
        faultChance: 1,
        kinds: ['connection-reset'],
        // Each document is created first (a transaction, left alone), then leased.
        writes: ['lease acquire', 'lease renew', 'lease release'],
        keyedChance: 0,
        fault: () => ({
          call: 0,
          command: 'UpdateItemCommand',
          kind: 'connection-reset',
          when: 'after',
          attempts: 1,
        }),
      });
      await print('lost answers of lease writes', faulty, report);
    });
    expect(report.failures()).toEqual([]);
    const leaseWrites = ['lease acquire', 'lease renew', 'lease release']
      .map((kind) => report.get(`requests: ${kind}`))
      .reduce((sum, n) => sum + n, 0);
    expect(leaseWrites).toBeGreaterThan(0);
    expect(
      report.get(
        'lost answer of UpdateItemCommand -> 503 may or may not have been applied, the write done',
      ),
    ).toBe(leaseWrites);
  });
});

describe('a DynamoDB connection that goes silent', () => {
  /** What a client may wait for an answer: the SDK's three attempts of 3 s each, and some. */
  const DEADLINE_MS = 15_000;
  let proxy: Awaited<ReturnType<typeof startStallingProxy>>;
  let silent: TestApi;
  let client: ReturnType<typeof createDocumentClient>;

  beforeAll(async () => {
    proxy = await startStallingProxy(testEndpoint());
    // The production client factory, so its timeouts and retries are the ones tested.
    client = createDocumentClient({
      endpoint: proxy.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
    silent = await startApi({ storeClient: client });
  });
  afterAll(async () => {
    await proxy?.close();
    await silent?.close();
    client?.destroy();
  });

  /**
   * A GET whose DynamoDB calls stall. Waits past the deadline (up to the
   * local Lambda timeout and some) so a failure shows what the server does.
   */
  const stalledGet = async (stallCalls: number, patienceMs: number) => {
    proxy.stallNext(stallCalls);
    const started = performance.now();
    const answer = await exchange(
      silent.baseUrl,
      agent,
      { method: 'GET', path: `/v1/items/${freshId()}`, headers: Object.entries(silent.headers) },
      patienceMs,
    ).catch((error: Error) => error);
    proxy.stallNext(0);
    const ms = Math.round(performance.now() - started);
    const shown =
      answer instanceof Error ? answer.message : `${answer.status} ${answer.body.toString()}`;
    console.log(
      `silent DynamoDB connection, ${stallCalls} call(s) stalled: after ${ms} ms ${shown}`,
    );
    return { answer, ms };
  };

  it('answers 503 unavailable with Retry-After in bounded time when every attempt stalls', async () => {
    const { answer, ms } = await stalledGet(await client.config.maxAttempts(), 35_000);
    expect(answer).not.toBeInstanceOf(Error);
    if (answer instanceof Error) return;
    expect(answer.status).toBe(503);
    expect(problemIssues(503, answer.headers, answer.body, 'GET')).toEqual([]);
    expect(answer.headers['retry-after']).toBeDefined();
    expect(ms).toBeLessThanOrEqual(DEADLINE_MS);
  });

  it('gives up on a stalled attempt and answers from the next one', async () => {
    const { answer, ms } = await stalledGet(1, DEADLINE_MS);
    expect(answer).not.toBeInstanceOf(Error);
    if (answer instanceof Error) return;
    expect(answer.status).toBe(404);
    expect(ms).toBeLessThanOrEqual(DEADLINE_MS);
  });
});
