/**
 * Builds a function's bundle as the stack does (NodejsFunction with the
 * options of bundle-options.ts, then Powertools' bundle beside it), for the
 * cold-start benchmark and the bundle test. `config` replaces
 * concord.config.json; `aliasesFor` is the configuration the module
 * substitutions are chosen for (the same one unless a test says otherwise).
 */
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { build, type Plugin } from 'esbuild';
import rawConfig from '../concord.config.json' with { type: 'json' };
import { parseConfig } from '../functions/core/config';
import { OBSERVER_BUNDLE } from '../functions/http/observer-bundle';
import { bundleAliases, LAMBDA_BUNDLE, sideBundleArgs } from './bundle-options';

const run = promisify(execFile);
export const ESBUILD_CLI = createRequire(import.meta.url).resolve('esbuild/bin/esbuild');

export interface FunctionBundle {
  readonly outfile: string;
  /** The source files that went into the function's own file. */
  readonly inputs: readonly string[];
}

const replaceConfig = (config: unknown): Plugin => ({
  name: 'replace-config',
  setup: (b) => {
    b.onLoad({ filter: /concord\.config\.json$/ }, () => ({
      contents: JSON.stringify(config),
      loader: 'json',
    }));
  },
});

export const buildFunctionBundle = async (
  entry: string,
  outdir: string,
  config?: unknown,
  aliasesFor: unknown = config,
): Promise<FunctionBundle> => {
  const outfile = join(outdir, 'index.mjs');
  const result = await build({
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
    alias: bundleAliases(parseConfig(aliasesFor ?? rawConfig)),
    metafile: true,
    logLevel: 'error',
    plugins: config ? [replaceConfig(config)] : [],
  });
  // What the stack's afterBundling hook runs.
  await run(ESBUILD_CLI, sideBundleArgs(OBSERVER_BUNDLE.entry, join(outdir, OBSERVER_BUNDLE.file)));
  return { outfile, inputs: Object.keys(result.metafile.inputs) };
};
