/**
 * `npm run bench`: starts one in-memory DynamoDB Local, runs every
 * benchmark against it and prints Markdown (also written to bench/results/).
 *
 * `BENCH_ONLY=calls,items,overhead,transactions,contention,policies,cold-start` (any of them,
 * comma-separated) runs only those; the others' result files are left as
 * they are. `npm run bench -- --calls` (or `--items`, `--transactions`, …)
 * is short for `BENCH_ONLY=calls`.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { startDynamoLocal } from '../local/dynamo-local';
import { startBenchHandler } from './bench-handler';
import { measureCalls } from './calls';
import { runColdStartBench } from './cold-start';
import { runContentionBench } from './contention';
import { runItemsBench } from './items';
import { runOverheadBench } from './overhead';
import { runPoliciesBench } from './policies';
import { runTransactionsBench } from './transactions';

const BENCHES = [
  'calls',
  'items',
  'overhead',
  'transactions',
  'contention',
  'policies',
  'cold-start',
] as const;
type Bench = (typeof BENCHES)[number];

const selected = (): Set<Bench> => {
  const flag = BENCHES.find((name) => process.argv.includes(`--${name}`));
  const only = flag ?? process.env.BENCH_ONLY?.trim();
  if (!only) return new Set(BENCHES);
  const names = only.split(',').map((name) => name.trim());
  const unknown = names.filter((name) => !BENCHES.includes(name as Bench));
  if (unknown.length > 0) {
    throw new Error(`BENCH_ONLY: unknown ${unknown.join(', ')}; choose from ${BENCHES.join(', ')}`);
  }
  return new Set(names as Bench[]);
};

const write = (file: string, text: string) => {
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL(`./results/${file}`, import.meta.url), text);
};

const main = async () => {
  const run = selected();
  const header = [
    `# Concord benchmarks`,
    '',
    `Run ${new Date().toISOString()} on Node ${process.version}, ${cpus().length} cores, DynamoDB Local (in-memory).`,
    '',
  ].join('\n');
  if (run.has('cold-start')) {
    const coldStart = await runColdStartBench();
    write('cold-start.md', `${header}\n## Cold start\n\n${coldStart.markdown}`);
    console.log(`## Cold start\n\n${coldStart.markdown}`);
  }
  const needsDynamo = ['calls', 'items', 'overhead', 'transactions', 'contention', 'policies'];
  if (!needsDynamo.some((name) => run.has(name as Bench))) {
    return;
  }
  const dynamo = await startDynamoLocal();
  try {
    if (run.has('calls')) {
      const bench = await startBenchHandler(dynamo.endpoint);
      const report = `${header}\n## Items API\n\n${await measureCalls(bench)}\n`;
      bench.close();
      write('calls.md', report);
      console.log(report);
    }
    if (run.has('items')) {
      const items = await runItemsBench(dynamo.endpoint);
      const report = `${header}\n## Items API\n\n${items.markdown}`;
      write('items.md', report);
      console.log(report);
    }
    if (run.has('overhead')) {
      const overhead = await runOverheadBench(dynamo.endpoint);
      const report = `${header}\n## Handler overhead over raw SDK calls\n\n${overhead.markdown}`;
      write('overhead.md', report);
      console.log(report);
    }
    if (run.has('transactions')) {
      const transactions = await runTransactionsBench(dynamo.endpoint);
      const report = `${header}\n## Transactions\n\n${transactions.markdown}`;
      write('transactions.md', report);
      console.log(report);
    }
    if (run.has('contention')) {
      const contention = await runContentionBench(dynamo.endpoint);
      write('contention.md', `${header}\n## Contention on one document\n\n${contention.markdown}`);
      write('contention.svg', contention.svg);
      console.log(`## Contention on one document\n\n${contention.markdown}`);
    }
    if (run.has('policies')) {
      const policies = await runPoliciesBench(dynamo.endpoint);
      write('policies.md', `${header}\n## Conflict policies\n\n${policies.markdown}`);
      console.log(`## Conflict policies\n\n${policies.markdown}`);
    }
  } finally {
    await dynamo.stop();
  }
};

await main();
