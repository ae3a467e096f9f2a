/**
 * The generated OpenAPI document passes `redocly lint` with the project's
 * rules (redocly.yaml: recommended-strict, every finding an error).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/core/config';
import { buildOpenApi } from '../../../functions/http/openapi';

const ROOT = resolve(import.meta.dirname, '../../..');
const dir = mkdtempSync(join(tmpdir(), 'concord-openapi-lint-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the OpenAPI document under redocly lint', () => {
  it.each([
    ['without a configuration', undefined],
    ['for the shipped configuration', 'concord.config.json'],
    ['for the example configuration (a collection schema)', 'concord.example.json'],
  ])(
    'has no errors and no warnings %s',
    async (_, configFile) => {
      const config = configFile
        ? parseConfig(JSON.parse(readFileSync(join(ROOT, configFile), 'utf8')))
        : undefined;
      const file = join(dir, `openapi-${configFile ?? 'plain'}.json`);
      writeFileSync(file, JSON.stringify(buildOpenApi(config), null, 2));
      const result = await promisify(execFile)(
        process.execPath,
        [
          join(ROOT, 'node_modules/@redocly/cli/bin/cli.js'),
          'lint',
          file,
          '--config',
          join(ROOT, 'redocly.yaml'),
          '--format',
          'stylish',
        ],
        {
          cwd: dir,
          // Offline: no usage reports, no update check.
          env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
        },
      ).catch((error: { stdout: string; stderr: string }) => error);
      const output = `${result.stdout}\n${result.stderr}`;
      expect(output).toContain('Your API description is valid');
      expect(output).not.toMatch(/\b(error|warning)\b/);
    },
    60_000,
  );
});
