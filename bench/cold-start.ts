/**
 * Cold start: the time to import each function group's Lambda bundle (built
 * exactly as the stack builds it) against an SDK-only bundle, each in a fresh
 * Node process, paired round by round so all see the same machine noise.
 * Also the write function's bundle with `--enable-source-maps`, the setting
 * the functions no longer use, and its bundle for a configuration that
 * declares a schema, which carries the JSON Schema engine (Ajv) that the
 * shipped one leaves out.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import rawConfig from '../concord.config.json' with { type: 'json' };
import { parseConfig } from '../functions/core/config';
import { TABLE_NAME_ENV } from '../functions/store/keys';
import {
  bundleAliases,
  bundleDefines,
  GROUP_ENTRIES,
  LAMBDA_BUNDLE,
} from '../infra/bundle-options';

const run = promisify(execFile);

export interface ColdStartResult {
  readonly markdown: string;
}

interface Variant {
  readonly name: string;
  readonly file: string;
  readonly nodeOptions?: string;
}

interface Sample {
  /** Wall-clock milliseconds of the import. */
  readonly wallMs: number;
  /** CPU milliseconds (user + system) of the import: less shaken by other work on the machine. */
  readonly cpuMs: number;
}

/** Builds `entry` as the stack does, for `config` (checked and baked in, as the stack bakes concord.config.json). */
const bundle = async (entry: string, outfile: string, config: unknown = rawConfig) => {
  await build({
    alias: bundleAliases(parseConfig(config)),
    define: bundleDefines(parseConfig(config)),
    entryPoints: [entry],
    bundle: true,
    format: 'esm',
    outfile,
    minify: LAMBDA_BUNDLE.minify,
    sourcemap: LAMBDA_BUNDLE.sourceMap,
    target: LAMBDA_BUNDLE.target,
    platform: LAMBDA_BUNDLE.platform,
    mainFields: [...LAMBDA_BUNDLE.mainFields],
    banner: { js: LAMBDA_BUNDLE.banner },
    logLevel: 'error',
  });
  return outfile;
};

/** The shipped configuration with one more collection, which declares a schema. */
const WITH_SCHEMA = {
  ...rawConfig,
  collections: [
    ...rawConfig.collections,
    { name: 'typed', schema: { type: 'object', required: ['name'] } },
  ],
};

/** From the start of the import to the handler being ready, in a fresh process. */
const importTime = async (variant: Variant): Promise<Sample> => {
  const code =
    'const c = process.cpuUsage(); const t = performance.now(); await import(process.argv[1]); ' +
    'const u = process.cpuUsage(c); ' +
    'process.stdout.write(JSON.stringify({ wallMs: performance.now() - t, cpuMs: (u.user + u.system) / 1000 }));';
  const { stdout } = await run(
    process.execPath,
    ['--input-type=module', '-e', code, pathToFileURL(variant.file).href],
    {
      env: {
        PATH: process.env.PATH ?? '',
        [TABLE_NAME_ENV]: 'cold-start',
        AWS_REGION: 'eu-west-1',
        AWS_ACCESS_KEY_ID: 'cold',
        AWS_SECRET_ACCESS_KEY: 'start',
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        ...(variant.nodeOptions ? { NODE_OPTIONS: variant.nodeOptions } : {}),
      },
    },
  );
  return JSON.parse(stdout) as Sample;
};

const percentile = (values: number[], p: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] ?? NaN;
};

export const runColdStartBench = async (rounds = 20): Promise<ColdStartResult> => {
  const dir = mkdtempSync(join(tmpdir(), 'concord-cold-'));
  try {
    const sdk = await bundle('bench/sdk-only-handler.ts', join(dir, 'sdk', 'index.mjs'));
    const groups: Variant[] = [];
    for (const [group, entry] of Object.entries(GROUP_ENTRIES)) {
      groups.push({
        name: `Concord ${group} function`,
        file: await bundle(entry, join(dir, group, 'index.mjs')),
      });
    }
    const write = groups.find((variant) => variant.name.endsWith(' write function'));
    if (!write) throw new Error('no write function bundle');
    const withSchema = await bundle(
      GROUP_ENTRIES.write,
      join(dir, 'schema', 'index.mjs'),
      WITH_SCHEMA,
    );
    const variants: Variant[] = [
      { name: 'SDK-only bundle (DocumentClient + GetItem)', file: sdk },
      ...groups,
      {
        name: 'Concord write function with --enable-source-maps (as deployed before)',
        file: write.file,
        nodeOptions: '--enable-source-maps',
      },
      {
        name: 'Concord write function of a configuration with a schema (Ajv inside)',
        file: withSchema,
      },
    ];
    const times = variants.map((): Sample[] => []);
    // One warm-up round: the first processes also pay for the file system cache.
    for (const variant of variants) await importTime(variant);
    for (let round = 0; round < rounds; round++) {
      // Rotate the order so no variant always runs first in a round.
      for (let k = 0; k < variants.length; k++) {
        const i = (round + k) % variants.length;
        times[i]?.push(await importTime(variants[i] as Variant));
      }
    }
    const base = times[0] ?? [];
    const rows = variants.map((variant, i) => {
      const own = times[i] ?? [];
      const column = (pick: (s: Sample) => number) => {
        const values = own.map(pick);
        const ratios = own.map((t, r) => pick(t) / pick(base[r] ?? { wallMs: NaN, cpuMs: NaN }));
        return `${percentile(values, 50).toFixed(1)} | ${percentile(ratios, 50).toFixed(2)}×`;
      };
      const kb = (statSync(variant.file).size / 1024).toFixed(0);
      return `| ${variant.name} | ${kb} | ${column((t) => t.wallMs)} | ${column((t) => t.cpuMs)} |`;
    });
    const markdown = [
      `Import time of each bundle in a fresh \`node\` process (${process.version}; Lambda runs Node 24),`,
      "one bundle per function group (each with only its group's routes, as the stack deploys them),",
      `${rounds} rounds, the variants in rotating order within each round, built with the stack's`,
      'esbuild options (`infra/bundle-options.ts`: one minified ESM file per function). Wall time is what a cold',
      'start waits; CPU time (user + system) is the same work, less shaken by the other processes on',
      'a shared machine. "× SDK-only" is the median over rounds of this bundle over the SDK-only',
      'bundle of the same round.',
      '',
      '| bundle | size (KiB) | wall p50 (ms) | wall × SDK-only | CPU p50 (ms) | CPU × SDK-only |',
      '|---|---|---|---|---|---|',
      ...rows,
      '',
    ].join('\n');
    return { markdown };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};
