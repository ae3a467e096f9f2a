/**
 * A client generated from the OpenAPI document with openapi-typescript types
 * what matters: a patch request in both formats, and the `current` state a
 * conflict answers with. The generated types and a program using them must
 * compile with tsc, and the misuses marked @ts-expect-error must not.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import openapiTS, { astToString } from 'openapi-typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { buildOpenApi } from '../../../functions/http/openapi';

const ROOT = resolve(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'concord-openapi-types-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const PROGRAM = `import type { components, paths } from './api.js';

type Patch = paths['/v1/{collection}/{id}']['patch'];
type Content = NonNullable<Patch['requestBody']>['content'];
type MergePatch = Content['application/merge-patch+json'];
type JsonPatch = Content['application/json-patch+json'];

export const merge: MergePatch = { status: 'paid', tracking: null };
export const ops: JsonPatch = [
  { op: 'test', path: '/status', value: 'new' },
  { op: 'replace', path: '/status', value: 'paid' },
  { op: 'remove', path: '/tracking' },
  { op: 'move', from: '/a', path: '/b' },
];
// @ts-expect-error an unknown op
export const unknownOp: JsonPatch = [{ op: 'explode', path: '/a' }];
// @ts-expect-error copy needs from
export const copyWithoutFrom: JsonPatch = [{ op: 'copy', path: '/a' }];
// @ts-expect-error a merge patch is an object
export const notAnObject: MergePatch = [1, 2];

type Conflict = Patch['responses'][409]['content']['application/problem+json'];
export const resolve = (conflict: Conflict) => {
  const current = conflict.current;
  if (!current) return undefined;
  const etag: string = current.etag;
  const version: number = current.version;
  const document: components['schemas']['Document'] = current.document;
  const id: string = document.id;
  // @ts-expect-error the version is a number
  const wrong: string = current.version;
  return { etag, version, id, wrong, type: conflict.type, status: conflict.status };
};
`;

describe('types generated from the OpenAPI document', () => {
  it('type a patch request and the current state of a conflict, and compile', async () => {
    const ast = await openapiTS(buildOpenApi() as unknown as Parameters<typeof openapiTS>[0]);
    writeFileSync(join(dir, 'api.ts'), astToString(ast));
    writeFileSync(join(dir, 'program.ts'), PROGRAM);
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          noUncheckedIndexedAccess: true,
          noEmit: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          types: [],
        },
        files: ['program.ts'],
      }),
    );
    const result = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'node_modules/typescript/bin/tsc'), '--project', join(dir, 'tsconfig.json')],
      { cwd: dir },
    ).catch((error: { stdout: string; stderr: string }) => error);
    expect(`${result.stdout}${result.stderr}`).toBe('');
  }, 60_000);
});
