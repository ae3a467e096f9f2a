/**
 * Ajv is a quarter of the Lambda bundle: a configuration without schemas
 * must not load it. Checked in a fresh process, where nothing else loaded it.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);

/** Builds the items service in a fresh process; tells whether Ajv got loaded. */
const loadsAjv = async (collection: Record<string, unknown>): Promise<boolean> => {
  const script = `
    import { createRequire } from 'node:module';
    import { parseConfig } from './functions/core/config.ts';
    import { createItemService } from './functions/core/items.ts';
    const config = parseConfig({ collections: [${JSON.stringify(collection)}] });
    createItemService({ config, store: {} });
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    process.stdout.write(String(loaded.some((path) => path.includes('/node_modules/ajv/'))));
  `;
  const { stdout } = await run(process.execPath, [
    '--import',
    'tsx',
    '--input-type=module',
    '-e',
    script,
  ]);
  return stdout === 'true';
};

describe('the JSON Schema engine', () => {
  it('is not loaded when no collection declares a schema', async () => {
    expect(await loadsAjv({ name: 'items' })).toBe(false);
  });

  it('is loaded when a collection declares one', async () => {
    expect(await loadsAjv({ name: 'people', schema: { type: 'object' } })).toBe(true);
  });
});
