/**
 * Transactions benchmark, against DynamoDB Local:
 *  1. DynamoDB calls per transaction, counted by SDK middleware through the
 *     in-process handler (the goal: one TransactWriteItems, plus one read
 *     when some operation needs the current document);
 *  2. transfers between accounts with N concurrent clients over real HTTP,
 *     each `updateMany()` (read two accounts, commit both pinned by ETag,
 *     re-apply on a version mismatch): throughput, HTTP requests and
 *     transactions per transfer, and the total, which must never change.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import { ConcordClient, type FetchLike } from '../client/index';
import { type BenchApi, startBenchApi } from './bench-api';
import { type BenchRequest, type CountedCall, startBenchHandler } from './bench-handler';

type Response = APIGatewayProxyStructuredResultV2;

const post = (r: BenchRequest, operations: unknown[], headers: Record<string, string> = {}) =>
  r('POST', '/v1/transactions', headers, { operations });
const replace = (id: string, version: number, n: number, collection = 'items') => ({
  op: 'replace',
  collection,
  id,
  ifMatch: `"${version}"`,
  document: collection === 'people' ? { email: `${n}-${id}@example.com` } : { n },
});
const patch = (id: string, version: number) => ({
  op: 'patch',
  collection: 'items',
  id,
  ifMatch: `"${version}"`,
  patch: { m: 1 },
});

interface Scenario {
  readonly name: string;
  /** Documents to make first (not counted), in `items` unless named `people:`. */
  readonly documents: number;
  readonly collection?: 'items' | 'people';
  readonly stale?: boolean;
  readonly run: (r: BenchRequest, ids: string[]) => Promise<Response>;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'transfer: 2 replaces pinned by ifMatch',
    documents: 2,
    run: (r, [a = '', b = '']) => post(r, [replace(a, 1, 1), replace(b, 1, 1)]),
  },
  {
    name: 'transfer, both ifMatch stale (409)',
    documents: 2,
    stale: true,
    run: (r, [a = '', b = '']) => post(r, [replace(a, 1, 1), replace(b, 1, 1)]),
  },
  {
    name: 'transfer with Idempotency-Key',
    documents: 2,
    run: (r, [a = '', b = '']) =>
      post(r, [replace(a, 1, 1), replace(b, 1, 1)], { 'idempotency-key': `k-${a}` }),
  },
  {
    name: 'the same, retried with the same key (replay)',
    documents: 0,
    run: async () => {
      throw new Error('measured right after the keyed transfer');
    },
  },
  {
    name: '10 creates',
    documents: 0,
    run: (r) =>
      post(
        r,
        Array.from({ length: 10 }, () => ({ op: 'create', collection: 'items', document: {} })),
      ),
  },
  {
    name: '1 patch + 1 replace',
    documents: 2,
    run: (r, [a = '', b = '']) => post(r, [patch(a, 1), replace(b, 1, 1)]),
  },
  {
    name: '3 patches',
    documents: 3,
    run: (r, ids) =>
      post(
        r,
        ids.map((id) => patch(id, 1)),
      ),
  },
  {
    name: 'patch stale + replace stale (409 lists both)',
    documents: 2,
    stale: true,
    run: (r, [a = '', b = '']) => post(r, [patch(a, 1), replace(b, 1, 1)]),
  },
  {
    name: '2 checks + 1 delete',
    documents: 3,
    run: (r, [a = '', b = '', c = '']) =>
      post(r, [
        { op: 'check', collection: 'items', id: a, ifMatch: '"1"' },
        { op: 'check', collection: 'items', id: b, ifMatch: '"1"' },
        { op: 'delete', collection: 'items', id: c, ifMatch: '"1"' },
      ]),
  },
  {
    name: 'unique field: swap two values',
    documents: 2,
    collection: 'people',
    run: (r, [a = '', b = '']) =>
      post(r, [
        { ...replace(a, 1, 0, 'people'), document: { email: `${b}@example.com` } },
        { ...replace(b, 1, 0, 'people'), document: { email: `${a}@example.com` } },
      ]),
  },
];

const describeCalls = (calls: readonly CountedCall[]): string => {
  const operation = calls
    .filter((call) => !call.admission)
    .map((call) => call.command.replace(/Command$/, ''));
  return `${operation.length}${operation.length ? `: ${operation.join(', ')}` : ''}`;
};

const measureTransactionCalls = async (endpoint: string): Promise<string> => {
  const bench = await startBenchHandler(endpoint);
  const { request, takeCalls } = bench;
  const rows: string[] = [];
  const measured = async (name: string, run: () => Promise<Response>) => {
    takeCalls();
    const response = await run();
    rows.push(`| ${name} | ${response.statusCode} | ${describeCalls(takeCalls())} |`);
    return response;
  };
  try {
    let lastKeyed: (() => Promise<Response>) | undefined;
    for (const scenario of SCENARIOS) {
      if (scenario.documents === 0 && lastKeyed && scenario.name.startsWith('the same')) {
        await measured(scenario.name, lastKeyed);
        continue;
      }
      const collection = scenario.collection ?? 'items';
      const ids = Array.from(
        { length: scenario.documents },
        () => `tx-${randomUUID().slice(0, 8)}`,
      );
      for (const id of ids) {
        const body = collection === 'people' ? { id, email: `${id}@example.com` } : { id, n: 0 };
        await request('POST', `/v1/${collection}`, {}, body);
        if (scenario.stale)
          await request('PUT', `/v1/${collection}/${id}`, { 'if-match': '"1"' }, { n: 1 });
      }
      const run = () => scenario.run(request, ids);
      await measured(scenario.name, run);
      if (scenario.name.includes('Idempotency-Key')) lastKeyed = run;
    }
    const begun = await measured('staged: begin', () =>
      request('POST', '/v1/transactions/staged', {}, { ttlSeconds: 60 }),
    );
    const tx = JSON.parse(String(begun.body)).id as string;
    const [a, b] = [`tx-${randomUUID().slice(0, 8)}`, `tx-${randomUUID().slice(0, 8)}`];
    await request('POST', '/v1/items', {}, { id: a, n: 0 });
    await request('POST', '/v1/items', {}, { id: b, n: 0 });
    const add = (op: unknown) =>
      request('POST', `/v1/transactions/staged/${tx}/operations`, {}, op);
    await measured('staged: add an operation', () => add(replace(a, 1, 1)));
    await add(patch(b, 1));
    await measured('staged: GET', () => request('GET', `/v1/transactions/staged/${tx}`));
    const commit = () => request('POST', `/v1/transactions/staged/${tx}/commit`);
    await measured('staged: commit (1 replace + 1 patch)', commit);
    await measured('staged: commit again (first result)', commit);
  } finally {
    bench.close();
  }
  return [
    '### DynamoDB calls per transaction',
    '',
    'Calls exclude the one admission write every request makes on its API key record.',
    '',
    '| transaction | status | calls |',
    '|---|---|---|',
    ...rows,
  ].join('\n');
};

export const CLIENTS = [1, 4, 16] as const;
const ACCOUNTS = 5;
const START = 1_000;
/** Transfers per run whatever N: each of N clients makes 64 / N. */
const TRANSFERS = 64;
const ROUNDS = 3;

interface Sample {
  readonly transfers: number;
  readonly total: number;
  readonly requests: number;
  readonly transactions: number;
  readonly seconds: number;
  readonly giveUps: number;
}

const transferRun = async (api: BenchApi, n: number): Promise<Sample> => {
  let requests = 0;
  let transactions = 0;
  const counting: FetchLike = (input, init) => {
    requests++;
    if (input.endsWith('/v1/transactions')) transactions++;
    return fetch(input, init);
  };
  const options = { baseUrl: api.baseUrl, apiKey: api.apiKey, timeoutMs: 300_000 };
  const client = new ConcordClient({ ...options, fetch: counting });
  const setup = new ConcordClient(options);
  const ids = Array.from({ length: ACCOUNTS }, () => `acct-${randomUUID()}`);
  for (const id of ids) await setup.create('items', { id, balance: START });
  let transfers = 0;
  let giveUps = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: n }, async () => {
      for (let i = 0; i < TRANSFERS / n; i++) {
        const from = Math.floor(Math.random() * ACCOUNTS);
        const to = (from + 1 + Math.floor(Math.random() * (ACCOUNTS - 1))) % ACCOUNTS;
        const amount = 1 + Math.floor(Math.random() * 9);
        try {
          await client.updateMany<{ balance: number }>(
            [
              { collection: 'items', id: ids[from] ?? '' },
              { collection: 'items', id: ids[to] ?? '' },
            ],
            ([f, t]) => [
              { balance: (f?.balance ?? 0) - amount },
              { balance: (t?.balance ?? 0) + amount },
            ],
            { maxAttempts: 50 },
          );
          transfers++;
        } catch {
          giveUps++;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const balances = await Promise.all(ids.map((id) => setup.get<{ balance: number }>('items', id)));
  const total = balances.reduce((sum, b) => sum + b.document.balance, 0);
  return { transfers, total, requests, transactions, seconds, giveUps };
};

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN;
};

const measureTransfers = async (endpoint: string): Promise<string> => {
  const api = await startBenchApi(endpoint);
  const samples = new Map<number, Sample[]>(CLIENTS.map((n) => [n, []]));
  try {
    await transferRun(api, 4); // warm up
    for (let round = 0; round < ROUNDS; round++) {
      for (const n of CLIENTS) samples.get(n)?.push(await transferRun(api, n));
    }
  } finally {
    await api.close();
  }
  const base = median((samples.get(1) ?? []).map((s) => s.transfers / s.seconds));
  const rows = CLIENTS.map((n) => {
    const runs = samples.get(n) ?? [];
    const rate = median(runs.map((s) => s.transfers / s.seconds));
    return [
      n,
      TRANSFERS / n,
      runs.map((s) => s.total).join(', '),
      runs.reduce((sum, s) => sum + s.giveUps, 0),
      median(runs.map((s) => s.transactions / s.transfers)).toFixed(2),
      median(runs.map((s) => s.requests / s.transfers)).toFixed(2),
      rate.toFixed(1),
      `${(rate / base).toFixed(2)}`,
    ];
  });
  return [
    '### Transfers between accounts with updateMany()',
    '',
    `${ACCOUNTS} accounts of ${START}; N clients each make ${TRANSFERS}/N transfers of 1–9 between two random`,
    `accounts (read both, commit both pinned by ETag, re-apply on a version mismatch); ${ROUNDS} rounds per N,`,
    'medians. The total must stay 5000 after every round.',
    '',
    '| N | transfers per client | total (per round) | give-ups | transactions / transfer | HTTP requests / transfer | transfers/s | × N=1 |',
    '|---|---|---|---|---|---|---|---|',
    ...rows.map((row) => `| ${row.join(' | ')} |`),
  ].join('\n');
};

/** Both parts, as Markdown. */
export const runTransactionsBench = async (endpoint: string): Promise<{ markdown: string }> => {
  const calls = await measureTransactionCalls(endpoint);
  const transfers = await measureTransfers(endpoint);
  return { markdown: `${calls}\n\n${transfers}\n` };
};
