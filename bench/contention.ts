/**
 * Contention benchmark: N clients each increment one counter field of ONE
 * document M times over real HTTP (127.0.0.1) through the in-process API.
 * Modes: a naive read-modify-write without If-Match (lost updates), the
 * client's `update()` with full-jitter backoff, and `update()` without backoff
 * (retry storm). Requests are counted by a `fetch` wrapper inside the client.
 */
import { randomUUID } from 'node:crypto';
import { cpus } from 'node:os';
import { ConcordClient, type FetchLike } from '../client/index';
import { DEFAULT_CONFLICT_BACKOFF } from '../client/retry';
import { type BenchApi, startBenchApi } from './bench-api';
import { type ChartSeries, renderContentionChart } from './chart';

export type ContentionMode = 'naive' | 'jitter' | 'storm' | 'lease';

export const MODES: ReadonlyArray<{ mode: ContentionMode; label: string; color: string }> = [
  { mode: 'naive', label: 'naive GET + PUT without If-Match', color: '#c0392b' },
  { mode: 'jitter', label: 'update(), full-jitter backoff', color: '#2471a3' },
  { mode: 'storm', label: 'update(), backoff: false (retry storm)', color: '#d68910' },
  { mode: 'lease', label: 'withLock(), then GET + PUT', color: '#1e8449' },
];
export const CLIENT_COUNTS = [1, 4, 16, 64] as const;
/** Increments per client: ~256 per run whatever N, so every run does the same work. */
export const incrementsPerClient = (n: number): number => Math.max(4, Math.floor(256 / n));
/** Enough that `update()` should not give up even at N = 64; give-ups are reported. */
export const MAX_ATTEMPTS = 50;

/** Every (mode, N) cell is measured this many times, round-robin, so machine noise spreads out. */
export const ROUNDS = 3;

/** One run of one cell. */
interface Sample {
  /** Increments whose call reported success. */
  readonly acknowledged: number;
  /** Counter value at the end: the increments that really took effect. */
  readonly final: number;
  /** Calls that rejected (e.g. `update()` spent its attempts), by error code. */
  readonly giveUps: Readonly<Record<string, number>>;
  readonly requests: number;
  readonly seconds: number;
  /** Per acknowledged call, ms. */
  readonly latencies: readonly number[];
}

/** One (mode, N) cell over all rounds. */
export interface ContentionRow {
  readonly mode: ContentionMode;
  readonly n: number;
  readonly m: number;
  /** Final counter value of each round (expected: n × m). */
  readonly finals: readonly number[];
  /** Acknowledged increments missing from the final value, summed over rounds. */
  readonly lost: number;
  /** Rejected calls over all rounds, by error code. */
  readonly giveUps: Readonly<Record<string, number>>;
  /** Median over rounds of HTTP requests per applied increment. */
  readonly requestsPerSuccess: number;
  /** Median over rounds of applied increments per second of wall time. */
  readonly goodput: number;
  /** Goodput over the N = 1 goodput of the same mode. */
  readonly ratio: number;
  /** Latency percentiles over every acknowledged call of every round. */
  readonly p50Ms: number;
  readonly p99Ms: number;
}

interface Counter {
  n: number;
}

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

const increment = (doc: Counter): Counter => ({ n: doc.n + 1 });

/** One run: N clients, M increments each, on a fresh counter. */
const measure = async (api: BenchApi, mode: ContentionMode, n: number): Promise<Sample> => {
  let requests = 0;
  const counting: FetchLike = (input, init) => {
    requests++;
    return fetch(input, init);
  };
  // The deadline is left to maxAttempts: a timeout would hide give-ups behind the clock.
  const options = { baseUrl: api.baseUrl, apiKey: api.apiKey, timeoutMs: 300_000 };
  const client = new ConcordClient({ ...options, fetch: counting });
  const setup = new ConcordClient(options);
  const collection = mode === 'naive' ? 'counters' : 'items';
  const id = `counter-${randomUUID()}`;
  await setup.create<Counter>(collection, { id, n: 0 });

  const naive = async () => {
    const current = await client.get<Counter>(collection, id);
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (api.apiKey !== undefined) headers.authorization = `Bearer ${api.apiKey}`;
    // Deliberately no If-Match: the write overwrites whatever landed since the read.
    const put = await counting(`${api.baseUrl}/v1/${collection}/${encodeURIComponent(id)}`, {
      method: 'PUT',
      headers,
      body: JSON.stringify(increment(current.document)),
    });
    await put.arrayBuffer();
    if (!put.ok)
      throw Object.assign(new Error(`PUT ${put.status}`), { code: `http-${put.status}` });
  };
  // Pessimistic: take the lease, read, write through it, release.
  const leased = () =>
    client.withLock(
      collection,
      id,
      async ({ lockToken }) => {
        const current = await client.get<Counter>(collection, id);
        await client.replace(collection, id, increment(current.document), {
          ifMatch: current.etag,
          lockToken,
        });
      },
      { waitMs: 300_000 },
    );
  const once =
    mode === 'naive'
      ? naive
      : mode === 'lease'
        ? leased
        : () =>
            client.update<Counter>(collection, id, increment, {
              maxAttempts: MAX_ATTEMPTS,
              backoff: mode === 'jitter',
            });

  const m = incrementsPerClient(n);
  const latencies: number[] = [];
  const giveUps: Record<string, number> = {};
  let acknowledged = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: n }, async () => {
      for (let i = 0; i < m; i++) {
        const t0 = performance.now();
        try {
          await once();
          acknowledged++;
          latencies.push(performance.now() - t0);
        } catch (error) {
          const code = String((error as { code?: unknown }).code ?? 'error');
          giveUps[code] = (giveUps[code] ?? 0) + 1;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const final = (await setup.get<Counter>(collection, id)).document.n;
  return { acknowledged, final, giveUps, requests, seconds, latencies };
};

const median = (values: number[]): number => percentile(values, 50);

const summarize = (
  mode: ContentionMode,
  n: number,
  samples: Sample[],
): Omit<ContentionRow, 'ratio'> => {
  const giveUps: Record<string, number> = {};
  for (const sample of samples) {
    for (const [code, k] of Object.entries(sample.giveUps))
      giveUps[code] = (giveUps[code] ?? 0) + k;
  }
  const latencies = samples.flatMap((s) => s.latencies);
  return {
    mode,
    n,
    m: incrementsPerClient(n),
    finals: samples.map((s) => s.final),
    lost: samples.reduce((sum, s) => sum + s.acknowledged - s.final, 0),
    giveUps,
    requestsPerSuccess: median(samples.map((s) => s.requests / s.final)),
    goodput: median(samples.map((s) => s.final / s.seconds)),
    p50Ms: percentile(latencies, 50),
    p99Ms: percentile(latencies, 99),
  };
};

/** Runs every mode at every N against a fresh API; returns the report and its chart. */
export const runContentionBench = async (
  dynamoEndpoint: string,
): Promise<{ markdown: string; svg: string; rows: ContentionRow[] }> => {
  const api = await startBenchApi(dynamoEndpoint);
  const cells = MODES.flatMap(({ mode }) => CLIENT_COUNTS.map((n) => ({ mode, n })));
  const samples = cells.map((): Sample[] => []);
  try {
    // Warm the JIT, the connection pool and DynamoDB Local so N = 1 is not measured cold.
    for (const { mode } of MODES) await measure(api, mode, 8);
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, { mode, n }] of cells.entries()) samples[i]?.push(await measure(api, mode, n));
    }
  } finally {
    await api.close();
  }
  const summaries = cells.map(({ mode, n }, i) => summarize(mode, n, samples[i] ?? []));
  const rows: ContentionRow[] = summaries.map((row) => {
    const base = summaries.find((r) => r.mode === row.mode && r.n === 1);
    return { ...row, ratio: base ? row.goodput / base.goodput : NaN };
  });
  const series: ChartSeries[] = MODES.map(({ mode, label, color }) => ({
    label,
    color,
    points: rows.filter((r) => r.mode === mode),
  }));
  return { markdown: report(rows), svg: renderContentionChart(series), rows };
};

const fmt = (value: number, digits = 1): string =>
  Number.isFinite(value) ? value.toFixed(digits) : 'n/a';

const report = (rows: ContentionRow[]): string => {
  const label = (mode: ContentionMode) => MODES.find((x) => x.mode === mode)?.label ?? mode;
  const lines = rows.map((r) => {
    const gave = Object.entries(r.giveUps);
    const giveUps = gave.length ? gave.map(([code, k]) => `${k} ${code}`).join(', ') : '0';
    return `| ${label(r.mode)} | ${r.n} | ${r.m} | ${r.n * r.m} | ${r.finals.join(', ')} | ${r.lost} | ${giveUps} | ${fmt(r.requestsPerSuccess, 2)} | ${fmt(r.goodput)} | ${fmt(r.ratio, 2)} | ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} |`;
  });
  const jitter = (n: number) => rows.find((r) => r.mode === 'jitter' && r.n === n);
  const at16 = jitter(16);
  const goals = [
    [
      'zero lost updates at every N',
      rows.filter((r) => r.mode === 'jitter').every((r) => r.lost === 0),
      rows
        .filter((r) => r.mode === 'jitter')
        .map((r) => `N=${r.n}: ${r.lost}`)
        .join(', '),
    ],
    [
      'at most 4 requests per success at N = 16',
      (at16?.requestsPerSuccess ?? Infinity) <= 4,
      fmt(at16?.requestsPerSuccess ?? NaN, 2),
    ],
    [
      'goodput at N = 16 at least half of N = 1',
      (at16?.ratio ?? 0) >= 0.5,
      `${fmt(at16?.ratio ?? NaN, 2)}×`,
    ],
  ] as const;
  const { baseDelayMs, maxDelayMs } = DEFAULT_CONFLICT_BACKOFF;
  return [
    `N clients each increment a counter field of one document M = max(4, ⌊256/N⌋) times`,
    `over HTTP on 127.0.0.1 (client, API server and DynamoDB Local on the same ${cpus().length}-core machine,`,
    `so every request competes for the same CPU). \`update()\` runs with the client's default`,
    `backoff (base ${baseDelayMs} ms, cap ${maxDelayMs} ms, full jitter) and maxAttempts ${MAX_ATTEMPTS}.`,
    `Each cell ran ${ROUNDS} times, round-robin over all cells; "final" lists each round's counter,`,
    'lost updates and give-ups are summed over the rounds, requests per success and goodput are',
    'medians over the rounds and count only increments present in the final value; latency',
    'percentiles pool every acknowledged increment call (GET + PUT, retries and waits included).',
    "The lease mode takes the document's lease with `withLock()` (polling with full-jitter",
    'backoff while another client holds it), reads, writes with its Lock-Token and releases.',
    '',
    '| mode | N | M | expected | final (per round) | lost updates | give-ups | requests / success | goodput (/s) | × N=1 | p50 (ms) | p99 (ms) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...lines,
    '',
    '![goodput ratio and requests per success against N](contention.svg)',
    '',
    '### Goals for `update()` with backoff',
    '',
    '| goal | measured | met |',
    '|---|---|---|',
    ...goals.map(([goal, met, measured]) => `| ${goal} | ${measured} | ${met ? 'yes' : 'no'} |`),
    '',
  ].join('\n');
};
