/**
 * `npm run bench`: starts one in-memory DynamoDB Local, runs every
 * benchmark against it and prints Markdown (also written to bench/results/).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { startDynamoLocal } from '../local/dynamo-local';
import { runContentionBench } from './contention';
import { runItemsBench } from './items';

const main = async () => {
  const dynamo = await startDynamoLocal();
  try {
    const header = [
      `# Concord benchmarks`,
      '',
      `Run ${new Date().toISOString()} on Node ${process.version}, ${cpus().length} cores, DynamoDB Local (in-memory).`,
      '',
    ].join('\n');
    const items = await runItemsBench(dynamo.endpoint);
    const report = `${header}\n## Items API\n\n${items.markdown}`;
    mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
    writeFileSync(new URL('./results/items.md', import.meta.url), report);
    console.log(report);

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
