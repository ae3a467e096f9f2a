/**
 * Contention benchmark: N clients each increment one counter field of ONE
 * document M times over real HTTP (127.0.0.1) through the in-process API,
 * measured against what it can be: the same N clients, same concurrency,
 * each on a document of its own (no conflicts), in the same round.
 * Modes: a naive read-modify-write without If-Match (lost updates), the
 * client's `update()` with its backoff, `update()` without backoff (retry
 * storm), and `withLock()`. Requests are counted by a `fetch` wrapper inside
 * the client.
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
  { mode: 'jitter', label: 'update(), default backoff', color: '#2471a3' },
  { mode: 'storm', label: 'update(), backoff: false (retry storm)', color: '#d68910' },
  { mode: 'lease', label: 'withLock(), then GET + PUT', color: '#1e8449' },
];
export const CLIENT_COUNTS = [1, 4, 16, 64] as const;
/** Increments per client: ~256 per run whatever N, so every run does the same work. */
export const incrementsPerClient = (n: number): number => Math.max(4, Math.floor(256 / n));
/** Enough that `update()` should not give up even at N = 64; give-ups are reported. */
export const MAX_ATTEMPTS = 50;

/** Every cell is measured this many times, round-robin, so machine noise spreads out. */
export const ROUNDS = 3;

/** One run of one cell. */
interface Sample {
  /** Increments whose call reported success. */
  readonly acknowledged: number;
  /** Counter values at the end, summed: the increments that really took effect. */
  readonly final: number;
  /** Calls that rejected (e.g. `update()` spent its attempts), by error code. */
  readonly giveUps: Readonly<Record<string, number>>;
  readonly requests: number;
  readonly seconds: number;
  /** Per acknowledged call, ms. */
  readonly latencies: readonly number[];
}

interface Spread {
  readonly median: number;
  readonly min: number;
  readonly max: number;
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
  /** HTTP requests per applied increment, over rounds. */
  readonly requestsPerSuccess: Spread;
  /** Applied increments per second of wall time, over rounds. */
  readonly goodput: Spread;
  /** The same N clients on a document each: applied increments per second, over rounds. */
  readonly baseline: Spread;
  /** Goodput over the baseline of the same round, over rounds. */
  readonly ratio: Spread;
  /** Latency percentiles over every acknowledged call of every round. */
  readonly p50Ms: number;
  readonly p99Ms: number;
}

interface Counter {
  n: number;
}

const percentile = (values: readonly number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};
const spread = (values: readonly number[]): Spread => ({
  median: percentile(values, 50),
  min: Math.min(...values),
  max: Math.max(...values),
});

const increment = (doc: Counter): Counter => ({ n: doc.n + 1 });

/** Increments that took effect per second of the run. */
const goodput = (s: Sample): number => s.final / s.seconds;

/** One run: N clients, M increments each, on one fresh counter or on a fresh counter each. */
const measure = async (
  api: BenchApi,
  mode: ContentionMode,
  n: number,
  documents: 'one' | 'own',
): Promise<Sample> => {
  let requests = 0;
  const counting: FetchLike = (input, init) => {
    requests++;
    return fetch(input, init);
  };
  // The deadline is left to maxAttempts: a timeout would hide give-ups behind the clock.
  const options = { baseUrl: api.baseUrl, apiKey: api.apiKey, timeoutMs: 300_000 };
  const setup = new ConcordClient(options);
  const collection = mode === 'naive' ? 'counters' : 'items';
  const ids = Array.from({ length: documents === 'one' ? 1 : n }, () => `counter-${randomUUID()}`);
  for (const id of ids) await setup.create<Counter>(collection, { id, n: 0 });

  const naive = async (client: ConcordClient, id: string) => {
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
  const leased = (client: ConcordClient, id: string) =>
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
  const once = (client: ConcordClient, id: string) =>
    mode === 'naive'
      ? naive(client, id)
      : mode === 'lease'
        ? leased(client, id)
        : client.update<Counter>(collection, id, increment, {
            maxAttempts: MAX_ATTEMPTS,
            backoff: mode === 'jitter',
          });

  const m = incrementsPerClient(n);
  const latencies: number[] = [];
  const giveUps: Record<string, number> = {};
  let acknowledged = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: n }, async (_, c) => {
      const id = ids[c % ids.length] as string;
      // Each writer is a client of its own, as separate processes would be.
      const client = new ConcordClient({ ...options, fetch: counting });
      for (let i = 0; i < m; i++) {
        const t0 = performance.now();
        try {
          await once(client, id);
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
  let final = 0;
  for (const id of ids) final += (await setup.get<Counter>(collection, id)).document.n;
  return { acknowledged, final, giveUps, requests, seconds, latencies };
};

const summarize = (
  mode: ContentionMode,
  n: number,
  contended: readonly Sample[],
  baseline: readonly Sample[],
): ContentionRow => {
  const giveUps: Record<string, number> = {};
  for (const sample of contended) {
    for (const [code, k] of Object.entries(sample.giveUps))
      giveUps[code] = (giveUps[code] ?? 0) + k;
  }
  const latencies = contended.flatMap((s) => s.latencies);
  return {
    mode,
    n,
    m: incrementsPerClient(n),
    finals: contended.map((s) => s.final),
    lost: contended.reduce((sum, s) => sum + s.acknowledged - s.final, 0),
    giveUps,
    requestsPerSuccess: spread(contended.map((s) => s.requests / s.final)),
    goodput: spread(contended.map(goodput)),
    baseline: spread(baseline.map(goodput)),
    ratio: spread(contended.map((s, r) => goodput(s) / goodput(baseline[r] ?? s))),
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
  const contended = cells.map((): Sample[] => []);
  const baselines = cells.map((): Sample[] => []);
  try {
    // Warm the JIT, the connection pool and DynamoDB Local so the first cells are not measured cold.
    for (const { mode } of MODES) await measure(api, mode, 8, 'one');
    for (let round = 0; round < ROUNDS; round++) {
      for (const [i, { mode, n }] of cells.entries()) {
        contended[i]?.push(await measure(api, mode, n, 'one'));
        // With one client, its own document is the one document: nothing else to measure.
        baselines[i]?.push(
          n === 1 ? (contended[i]?.at(-1) as Sample) : await measure(api, mode, n, 'own'),
        );
      }
    }
  } finally {
    await api.close();
  }
  const rows = cells.map(({ mode, n }, i) =>
    summarize(mode, n, contended[i] ?? [], baselines[i] ?? []),
  );
  const samplesOf = (into: Sample[][], n: number) =>
    into[cells.findIndex((c) => c.mode === 'jitter' && c.n === n)] ?? [];
  const ceiling = serialCeiling(
    samplesOf(contended, 1),
    samplesOf(baselines, 16),
    samplesOf(contended, 16),
  );
  const series: ChartSeries[] = MODES.map(({ mode, label, color }) => ({
    label,
    color,
    points: rows
      .filter((r) => r.mode === mode)
      .map((r) => ({
        n: r.n,
        ratio: r.ratio.median,
        requestsPerSuccess: r.requestsPerSuccess.median,
      })),
  }));
  return { markdown: report(rows, ceiling), svg: renderContentionChart(series), rows };
};

/**
 * One document's writes are serialized: each must see the one before it. So what one
 * document can do is bounded by a single writer alone on it, one write after another with
 * nothing in its way; on a machine of C cores that is about 1/C of what many documents do
 * at once. Both ratios are taken round by round.
 */
interface SerialCeiling {
  /** One writer alone on one document, over 16 writers on 16 documents. */
  readonly ofBaseline: Spread;
  /** `update()` with 16 writers on one document, over one writer alone. */
  readonly reached: Spread;
}

const serialCeiling = (
  alone: readonly Sample[],
  baseline16: readonly Sample[],
  contended16: readonly Sample[],
): SerialCeiling => {
  const rounds = alone.map((one, r) => ({
    one: goodput(one),
    own: goodput(baseline16[r] ?? one),
    shared: goodput(contended16[r] ?? one),
  }));
  return {
    ofBaseline: spread(rounds.map((x) => x.one / x.own)),
    reached: spread(rounds.map((x) => x.shared / x.one)),
  };
};

const fmt = (value: number, digits = 1): string =>
  Number.isFinite(value) ? value.toFixed(digits) : 'n/a';
const fmtSpread = (s: Spread, digits = 1, unit = ''): string =>
  `${fmt(s.median, digits)}${unit} (${fmt(s.min, digits)}–${fmt(s.max, digits)})`;

const report = (rows: ContentionRow[], ceiling: SerialCeiling): string => {
  const label = (mode: ContentionMode) => MODES.find((x) => x.mode === mode)?.label ?? mode;
  const lines = rows.map((r) => {
    const gave = Object.entries(r.giveUps);
    const giveUps = gave.length ? gave.map(([code, k]) => `${k} ${code}`).join(', ') : '0';
    return `| ${label(r.mode)} | ${r.n} | ${r.m} | ${r.n * r.m} | ${r.finals.join(', ')} | ${r.lost} | ${giveUps} | ${fmtSpread(r.requestsPerSuccess, 2)} | ${fmtSpread(r.goodput)} | ${fmt(r.baseline.median)} | ${fmtSpread(r.ratio, 2, '×')} | ${fmt(r.p50Ms)} | ${fmt(r.p99Ms)} |`;
  });
  const jitter = (n: number) => rows.find((r) => r.mode === 'jitter' && r.n === n);
  const at16 = jitter(16);
  const at64 = jitter(64);
  const goals = [
    ['no lost update at N = 16', at16?.lost === 0, `${at16?.lost ?? 'n/a'} lost`],
    [
      'at most 3 requests per success at N = 16',
      (at16?.requestsPerSuccess.median ?? Infinity) <= 3,
      fmtSpread(at16?.requestsPerSuccess ?? { median: NaN, min: NaN, max: NaN }, 2),
    ],
    [
      'goodput at N = 16 at least 0.5× that of 16 clients on 16 documents',
      (at16?.ratio.median ?? 0) >= 0.5,
      fmtSpread(at16?.ratio ?? { median: NaN, min: NaN, max: NaN }, 2, '×'),
    ],
    [
      `no give-up at N = 64 in ${ROUNDS} rounds`,
      Object.keys(at64?.giveUps ?? { missing: 1 }).length === 0,
      Object.entries(at64?.giveUps ?? {})
        .map(([code, k]) => `${k} ${code}`)
        .join(', ') || '0',
    ],
  ] as const;
  const { baseDelayMs, maxDelayMs } = DEFAULT_CONFLICT_BACKOFF;
  return [
    `N clients each increment a counter field of one document M = max(4, ⌊256/N⌋) times`,
    `over HTTP on 127.0.0.1 (client, API server and DynamoDB Local on the same ${cpus().length}-core machine,`,
    `so every request competes for the same CPU). Each client is a ConcordClient of its own. Against`,
    'it, in the same round, the same N clients with the same concurrency each increment a document of',
    'their own ("own documents": no conflicts, what the same work can do here); "× own documents" is',
    "the ratio of the two goodputs, round by round. `update()` runs with the client's default backoff",
    `(base ${baseDelayMs} ms, cap ${maxDelayMs} ms, full jitter) and maxAttempts ${MAX_ATTEMPTS}.`,
    `Each cell ran ${ROUNDS} times, round-robin over all cells; "final" lists each round's counter,`,
    'lost updates and give-ups are summed over the rounds; requests per success, goodput and the ratio',
    'are the median over the rounds with their range (min–max) and count only increments present in',
    'the final value; latency percentiles pool every acknowledged increment call (GET + PUT, retries',
    "and waits included). The lease mode takes the document's lease with `withLock()` (polling with",
    'full-jitter backoff while another client holds it), reads, writes with its Lock-Token and releases.',
    '',
    '| mode | N | M | expected | final (per round) | lost updates | give-ups | requests / success | goodput (/s) | own documents (/s) | × own documents | p50 (ms) | p99 (ms) |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...lines,
    '',
    '![goodput against N writers on N documents, and requests per success](contention.svg)',
    '',
    '### Goals for `update()` with its default backoff',
    '',
    '| goal | measured | met |',
    '|---|---|---|',
    ...goals.map(([goal, met, measured]) => `| ${goal} | ${measured} | ${met ? 'yes' : 'no'} |`),
    '',
    '### What one document can do here',
    '',
    "One document's writes are serialized: each must see the one before it. One writer alone on",
    'one document, each write sent as soon as the one before it is answered (`update()` at N = 1),',
    `reached ${fmtSpread(ceiling.ofBaseline, 2, '×')} of 16 writers on 16 documents in the same`,
    `round: the ceiling of "× own documents" on this ${cpus().length}-core machine, where the many`,
    'documents keep every core busy and the one document cannot. `update()` with 16 writers on',
    `one document reached ${fmtSpread(ceiling.reached, 2, '×')} of that single writer.`,
    '',
  ].join('\n');
};
