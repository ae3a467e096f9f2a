/**
 * Conflict-policy benchmark, over real HTTP through the in-process API.
 *
 * Counter: N = 16 writers increment one counter field of ONE document, 16
 * times each. With the `counter` rule (`merge` policy) each writer sends a
 * merge patch from the last version it saw, which is stale as soon as
 * anyone else wrote; the server merges it. Against it, in the same rounds,
 * the client's `update()` (read, increment, PUT with If-Match, retry on 409)
 * on a `reject` collection.
 *
 * Disjoint fields: N writers each change a field of their own of ONE
 * document, under `merge` (stale merge patches, merged) and under `reject`
 * (`update()`): HTTP requests per successful edit.
 */
import { randomUUID } from 'node:crypto';
import { ConcordClient, type FetchLike, type JsonObject } from '../client/index';
import { type BenchApi, startBenchApi } from './bench-api';

export const COUNTER_WRITERS = 16;
export const EDITS_PER_WRITER = 16;
export const DISJOINT_WRITERS = [4, 16] as const;
export const ROUNDS = 5;
/** Enough that `update()` should not give up; give-ups are reported. */
const MAX_ATTEMPTS = 50;

type Mode = 'merge' | 'reject';

interface Sample {
  readonly acknowledged: number;
  /** Edits that really took effect (the counter's value, or the fields set). */
  readonly applied: number;
  /** Answers 409 seen on the wire, and calls that gave up. */
  readonly conflicts: number;
  readonly giveUps: number;
  readonly requests: number;
  /** DynamoDB calls the server made for them, from each answer's `Server-Timing`. */
  readonly dbCalls: number;
  readonly seconds: number;
}

/** One run: `n` writers, EDITS_PER_WRITER edits each, on one fresh document. */
const measure = async (
  api: BenchApi,
  mode: Mode,
  n: number,
  kind: 'counter' | 'disjoint',
): Promise<Sample> => {
  let requests = 0;
  let conflicts = 0;
  let dbCalls = 0;
  const counting: FetchLike = async (input, init) => {
    requests++;
    const response = await fetch(input, init);
    if (response.status === 409) conflicts++;
    const timing = response.headers.get('server-timing')?.match(/desc="(\d+) DynamoDB calls"/);
    dbCalls += Number(timing?.[1] ?? 0);
    return response;
  };
  const options = { baseUrl: api.baseUrl, apiKey: api.apiKey, timeoutMs: 300_000 };
  const setup = new ConcordClient(options);
  const collection = mode === 'reject' ? 'items' : kind === 'counter' ? 'tallies' : 'merged';
  const id = `doc-${randomUUID()}`;
  const start = await setup.create(collection, { id, n: 0 });
  let acknowledged = 0;
  let giveUps = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: n }, async (_, c) => {
      const client = new ConcordClient({ ...options, fetch: counting });
      const field = `f${c}`;
      // The last version this writer saw: its base for the next edit.
      let seen = { version: start.version, n: 0 };
      for (let i = 1; i <= EDITS_PER_WRITER; i++) {
        try {
          if (mode === 'reject') {
            await client.update<JsonObject>(
              collection,
              id,
              (doc) =>
                kind === 'counter' ? { ...doc, n: Number(doc.n ?? 0) + 1 } : { ...doc, [field]: i },
              { maxAttempts: MAX_ATTEMPTS },
            );
          } else {
            const patch = kind === 'counter' ? { n: seen.n + 1 } : { [field]: i };
            const written = await client.mergePatch<JsonObject>(collection, id, patch, {
              ifMatch: seen.version,
              idempotencyKey: false,
            });
            // With the counter rule the stored value includes others' increments.
            seen = { version: written.version, n: Number(written.document.n ?? 0) };
          }
          acknowledged++;
        } catch {
          giveUps++;
        }
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const final = (await setup.get<JsonObject>(collection, id)).document;
  const applied =
    kind === 'counter'
      ? Number(final.n ?? 0)
      : Array.from({ length: n }, (_, c) => final[`f${c}`] === EDITS_PER_WRITER).filter(Boolean)
          .length * EDITS_PER_WRITER;
  return { acknowledged, applied, conflicts, giveUps, requests, dbCalls, seconds };
};

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? Number.NaN;
};
const range = (values: readonly number[], digits: number): string =>
  `${median(values).toFixed(digits)} (${Math.min(...values).toFixed(digits)}–${Math.max(...values).toFixed(digits)})`;
const sum = (samples: readonly Sample[], pick: (s: Sample) => number) =>
  samples.reduce((total, s) => total + pick(s), 0);

export const runPoliciesBench = async (dynamoEndpoint: string): Promise<{ markdown: string }> => {
  const api = await startBenchApi(dynamoEndpoint);
  const counter: Record<Mode, Sample[]> = { merge: [], reject: [] };
  const disjoint = new Map<string, Sample[]>();
  try {
    // Warm the JIT, the connection pool and DynamoDB Local with one full
    // uncounted round of each mode.
    await measure(api, 'merge', COUNTER_WRITERS, 'counter');
    await measure(api, 'reject', COUNTER_WRITERS, 'counter');
    for (let round = 0; round < ROUNDS; round++) {
      for (const mode of ['merge', 'reject'] as const) {
        counter[mode].push(await measure(api, mode, COUNTER_WRITERS, 'counter'));
        for (const n of DISJOINT_WRITERS) {
          const key = `${mode}/${n}`;
          disjoint.set(key, [
            ...(disjoint.get(key) ?? []),
            await measure(api, mode, n, 'disjoint'),
          ]);
        }
      }
    }
  } finally {
    await api.close();
  }
  const goodput = (s: Sample) => s.applied / s.seconds;
  const ratios = counter.merge.map((s, r) => goodput(s) / goodput(counter.reject[r] ?? s));
  const label: Record<Mode, string> = {
    merge: 'stale merge patch, `counter` rule (`merge`)',
    reject: '`update()` (`reject`)',
  };
  const counterRows = (['merge', 'reject'] as const).map((mode) => {
    const s = counter[mode];
    return `| ${label[mode]} | ${sum(s, (x) => x.acknowledged)} / ${sum(s, (x) => x.applied)} | ${sum(s, (x) => x.acknowledged - x.applied)} | ${sum(s, (x) => x.conflicts)} | ${sum(s, (x) => x.giveUps)} | ${range(s.map(goodput), 0)} | ${range(
      s.map((x) => x.requests / x.applied),
      2,
    )} | ${range(
      s.map((x) => x.dbCalls / x.applied),
      2,
    )} |`;
  });
  const disjointRows = [...disjoint].map(([key, s]) => {
    const [mode, n] = key.split('/') as [Mode, string];
    return `| ${n} | ${mode === 'merge' ? 'stale merge patch (`merge`)' : label.reject} | ${sum(s, (x) => x.applied)} of ${s.length * Number(n) * EDITS_PER_WRITER} | ${sum(s, (x) => x.conflicts)} | ${range(
      s.map((x) => x.requests / x.applied),
      2,
    )} | ${range(
      s.map((x) => x.dbCalls / x.applied),
      2,
    )} |`;
  });
  const markdown = [
    `### Counter: ${COUNTER_WRITERS} writers × ${EDITS_PER_WRITER} increments of one field of one document`,
    '',
    `Totals over ${ROUNDS} rounds; goodput (applied increments per second), HTTP requests and DynamoDB calls (from \`Server-Timing\`, the server's own retries included) per applied increment as median (min–max) of the rounds.`,
    '',
    '| mode | acknowledged / applied | lost | 409 answers | give-ups | goodput /s | requests per increment | DynamoDB calls per increment |',
    '|---|---|---|---|---|---|---|---|',
    ...counterRows,
    '',
    `Goodput of the counter rule over \`update()\`, per round: ${ratios.map((r) => `${r.toFixed(2)}×`).join(', ')} (median ${median(ratios).toFixed(2)}×).`,
    '',
    `### Disjoint fields: N writers × ${EDITS_PER_WRITER} edits, each to a field of its own, of one document`,
    '',
    '| N | mode | edits applied | 409 answers | requests per edit | DynamoDB calls per edit |',
    '|---|---|---|---|---|---|',
    ...disjointRows,
    '',
  ].join('\n');
  return { markdown };
};
