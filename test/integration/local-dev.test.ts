/**
 * `npm run dev` end to end, on a copy of the project's sources (so the test
 * can edit a handler without touching the real one): an edited handler is
 * served after the reload, while DynamoDB Local keeps running, same pid.
 */
import { cpSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { isAlive } from '../../local/process-group';
import { endAll, startMain, waitForNoDynamo } from '../helpers/local-main';

const ROOT = resolve(import.meta.dirname, '../..');
const copy = mkdtempSync(join(tmpdir(), 'concord-dev-'));
const dataDir = join(copy, '.concord');
for (const entry of [
  'functions',
  'local',
  'package.json',
  'tsconfig.json',
  'concord.config.json',
]) {
  cpSync(join(ROOT, entry), join(copy, entry), { recursive: true });
}
symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'), 'dir');
afterEach(() => endAll());
afterAll(() => rmSync(copy, { recursive: true, force: true }));

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

describe('npm run dev', () => {
  it('serves an edited handler after reloading it, with the same DynamoDB Local', async () => {
    const dev = startMain({ dataDir, cwd: copy, script: 'local/dev.ts' });
    const javaPid = Number(
      (await dev.waitFor(/concord dev: DynamoDB Local on \S+ \(pid (\d+)/, 60_000))[1],
    );
    const url = (await dev.waitFor(/Concord listening on (http:\/\/\S+)/, 60_000))[1];
    const before = await fetch(`${url}/v1/openapi.json`);
    expect((await before.json()).openapi).toMatch(/^3\.1/);

    // The handler of GET /v1/openapi.json, rewritten as a developer would.
    writeFileSync(
      join(copy, 'functions/http/handlers/openapi.ts'),
      `import { jsonResponse } from '../responses';
import type { RouteHandler } from './items';

export const getOpenApi: RouteHandler = async () => jsonResponse(200, { edited: true });
`,
    );
    await dev.waitFor(/functions\/http\/handlers\/openapi\.ts changed; reloading the API/);
    let body: unknown;
    for (let i = 0; i < 600; i++) {
      body = await fetch(`${url}/v1/openapi.json`)
        .then((r) => r.json())
        .catch(() => undefined);
      if ((body as { edited?: boolean } | undefined)?.edited) break;
      await sleep(100);
    }
    expect(body).toEqual({ edited: true });
    expect(dev.output().match(/concord dev: DynamoDB Local on/g)).toHaveLength(1);
    expect(isAlive(javaPid)).toBe(true);

    dev.child.kill('SIGINT');
    expect(await dev.exit).toBe(0);
    expect(await waitForNoDynamo(dataDir)).toEqual([]);
    expect(isAlive(javaPid)).toBe(false);
  }, 120_000);
});
