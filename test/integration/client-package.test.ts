/**
 * The client as its users get it: packed by npm, installed from the tarball
 * into a scratch project, and used from plain Node and from TypeScript with
 * `moduleResolution: nodenext`, against the real API.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freshId } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';

const run = promisify(execFile);
const ROOT = resolve(import.meta.dirname, '../..');
const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');
const scratch = mkdtempSync(join(tmpdir(), 'concord-client-package-'));
let api: TestApi;
let tarball = '';

const tsconfig = (files: string[]) => ({
  compilerOptions: {
    target: 'ES2022',
    module: 'nodenext',
    moduleResolution: 'nodenext',
    strict: true,
    outDir: 'out',
    types: ['node'],
    typeRoots: [join(ROOT, 'node_modules/@types')],
  },
  files,
});

const npm = (args: string[], cwd: string) =>
  run('npm', args, {
    cwd,
    env: { ...process.env, npm_config_audit: 'false', npm_config_fund: 'false' },
  });

beforeAll(async () => {
  api = await startApi();
  const { stdout } = await npm(
    ['pack', '--workspace', 'client', '--pack-destination', scratch, '--json'],
    ROOT,
  );
  const [packed] = JSON.parse(stdout) as Array<{
    filename: string;
    files: Array<{ path: string }>;
  }>;
  tarball = join(scratch, packed?.filename ?? '');
  writeFileSync(
    join(scratch, 'package.json'),
    JSON.stringify({ name: 'scratch', private: true, type: 'module' }),
  );
  // No dependencies: the install needs nothing but the tarball.
  await npm(['install', '--offline', tarball], scratch);
}, 120_000);

afterAll(async () => {
  await api?.close();
  rmSync(scratch, { recursive: true, force: true });
  rmSync(join(ROOT, 'client/dist'), { recursive: true, force: true });
});

describe('the client package', () => {
  it('ships ESM JavaScript and declarations only, with no dependencies', async () => {
    const { stdout } = await run('tar', ['-tzf', tarball]);
    const files = stdout.trim().split('\n');
    expect(files).toContain('package/dist/index.js');
    expect(files).toContain('package/dist/index.d.ts');
    expect(files.filter((file) => /\.ts$/.test(file) && !file.endsWith('.d.ts'))).toEqual([]);
    const installed = JSON.parse(
      readFileSync(join(scratch, 'node_modules/@concord-api/client/package.json'), 'utf8'),
    ) as Record<string, unknown>;
    expect(installed.dependencies).toBeUndefined();
    expect(installed.type).toBe('module');
    // Only the client itself came in.
    const lock = JSON.parse(readFileSync(join(scratch, 'package-lock.json'), 'utf8')) as {
      packages: Record<string, unknown>;
    };
    expect(Object.keys(lock.packages).filter((path) => path !== '')).toEqual([
      'node_modules/@concord-api/client',
    ]);
  });

  it('works from plain Node', async () => {
    const id = freshId();
    writeFileSync(
      join(scratch, 'plain.mjs'),
      `import { ConcordClient, ConflictError } from '@concord-api/client';
const [baseUrl, apiKey, id] = process.argv.slice(2);
const concord = new ConcordClient({ baseUrl, apiKey });
await concord.create('items', { id, n: 1 });
const updated = await concord.update('items', id, (doc) => ({ ...doc, n: doc.n + 1 }));
let conflict = false;
try {
  await concord.replace('items', id, { n: 0 }, { ifMatch: '"1"' });
} catch (error) {
  conflict = error instanceof ConflictError && error.current?.version === 2;
}
console.log(JSON.stringify({ n: updated.document.n, version: updated.version, conflict }));
`,
    );
    const { stdout } = await run(process.execPath, ['plain.mjs', api.baseUrl, api.apiKey, id], {
      cwd: scratch,
    });
    expect(JSON.parse(stdout)).toEqual({ n: 2, version: 2, conflict: true });
  });

  it("type-checks the README's client program with nodenext and runs it", async () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const section = readme.slice(readme.indexOf('## The TypeScript client'));
    const program = /```ts\n([\s\S]*?)```/.exec(section)?.[1] ?? '';
    expect(program).toContain("from '@concord-api/client'");
    writeFileSync(join(scratch, 'readme.ts'), program);
    writeFileSync(join(scratch, 'tsconfig.readme.json'), JSON.stringify(tsconfig(['readme.ts'])));
    await run(process.execPath, [TSC, '-p', 'tsconfig.readme.json'], { cwd: scratch });
    const { stdout } = await run(process.execPath, ['out/readme.js'], {
      cwd: scratch,
      env: { ...process.env, CONCORD_URL: api.baseUrl, CONCORD_KEY: api.apiKey },
    });
    const lines = stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^someone else won:/);
    expect(JSON.parse(lines.at(-1) ?? '')).toMatchObject({
      status: 'shipped',
      total: 42,
      version: 4,
    });
  });

  it('type-checks and runs from TypeScript with moduleResolution nodenext', async () => {
    const id = freshId();
    writeFileSync(
      join(scratch, 'typed.ts'),
      `import { ConcordClient, ConflictError } from '@concord-api/client';
type Counter = { n: number };
const [baseUrl = '', apiKey = '', id = ''] = process.argv.slice(2);
const concord = new ConcordClient({ baseUrl, apiKey });
await concord.create('items', { id, n: 41 });
const { document } = await concord.update<Counter>('items', id, (doc) => ({ ...doc, n: doc.n + 1 }));
const n: number = document.n;
console.log(JSON.stringify({ n, conflictClass: typeof ConflictError }));
`,
    );
    writeFileSync(join(scratch, 'tsconfig.json'), JSON.stringify(tsconfig(['typed.ts'])));
    await run(process.execPath, [TSC, '-p', 'tsconfig.json'], { cwd: scratch });
    const { stdout } = await run(process.execPath, ['out/typed.js', api.baseUrl, api.apiKey, id], {
      cwd: scratch,
    });
    expect(JSON.parse(stdout)).toEqual({ n: 42, conflictClass: 'function' });
  });
});
