/**
 * `npm run bench`: starts one in-memory DynamoDB Local, runs every
 * benchmark against it and prints Markdown (also written to bench/results/).
 *
 * `npm run bench -- --calls` runs only the calls-per-operation table (a few
 * seconds; bench/results/calls.md); `--items` the items benchmark without
 * the contention runs (bench/results/items.md); `--transactions` only the
 * transactions benchmark (bench/results/transactions.md).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { startDynamoLocal } from '../local/dynamo-local';
import { startBenchHandler } from './bench-handler';
import { measureCalls } from './calls';
import { runContentionBench } from './contention';
import { runItemsBench } from './items';
import { runTransactionsBench } from './transactions';

const only = process.argv.includes('--calls')
  ? 'calls'
  : process.argv.includes('--items')
    ? 'items'
    : process.argv.includes('--transactions')
      ? 'transactions'
      : undefined;

const main = async () => {
  const dynamo = await startDynamoLocal();
  try {
    const header = [
      `# Concord benchmarks`,
      '',
      `Run ${new Date().toISOString()} on Node ${process.version}, ${cpus().length} cores, DynamoDB Local (in-memory).`,
      '',
    ].join('\n');
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    if (only === 'calls') {
      const bench = await startBenchHandler(dynamo.endpoint);
      const report = `${header}\n## Items API\n\n${await measureCalls(bench)}\n`;
      bench.close();
      writeFileSync(new URL('./results/calls.md', import.meta.url), report);
      console.log(report);
      return;
    }
    if (only === undefined || only === 'transactions') {
      const transactions = await runTransactionsBench(dynamo.endpoint);
      const report = `${header}\n## Transactions\n\n${transactions.markdown}`;
      writeFileSync(new URL('./results/transactions.md', import.meta.url), report);
      console.log(report);
      if (only === 'transactions') return;
    }
    const items = await runItemsBench(dynamo.endpoint);
    const report = `${header}\n## Items API\n\n${items.markdown}`;
    writeFileSync(new URL('./results/items.md', import.meta.url), report);
    console.log(report);
    if (only === 'items') return;

    const contention = await runContentionBench(dynamo.endpoint);
    const contentionReport = `${header}\n## Contention on one document\n\n${contention.markdown}`;
    writeFileSync(new URL('./results/contention.md', import.meta.url), contentionReport);
    writeFileSync(new URL('./results/contention.svg', import.meta.url), contention.svg);
    console.log(`## Contention on one document\n\n${contention.markdown}`);
  } finally {
    await dynamo.stop();
  }
};

await main();
