/**
 * The Lambda artifacts themselves: each function group's entry bundled with
 * the stack's esbuild options into one ESM file, loaded as Lambda loads it,
 * and invoked with API Gateway events against DynamoDB Local, each request
 * sent to the function of its route's group as API Gateway sends it. Catches
 * what only shows after bundling (ESM interop, require shims, JSON imports,
 * the configuration baked in, a handler missing from its group).
 */
import { copyFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { APIGatewayProxyStructuredResultV2, Context } from 'aws-lambda';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import rawConfig from '../../concord.config.json' with { type: 'json' };
import { parseConfig } from '../../functions/core/config';
import { createApiKey } from '../../functions/core/key-admin';
import { REDOC_BUNDLE } from '../../functions/http/docs-assets';
import { matchRoute } from '../../functions/http/route-match';
import { type FunctionGroup, routeFor } from '../../functions/http/routes';
import { createDynamoApiKeyStore } from '../../functions/store/dynamo-api-key-store';
import { TABLE_NAME_ENV } from '../../functions/store/keys';
import {
  bundleAliases,
  bundleDefines,
  GROUP_ENTRIES,
  LAMBDA_BUNDLE,
} from '../../infra/bundle-options';
import { toApiGatewayEvent } from '../../local/api-gateway-event';
import { createTestTable, testDocumentClient, testEndpoint } from '../helpers/local-dynamo';

type Handler = (event: unknown, context: Context) => Promise<APIGatewayProxyStructuredResultV2>;

const ENV = {
  AWS_REGION: 'local',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
};
const saved: Record<string, string | undefined> = {};
const GROUPS = Object.keys(GROUP_ENTRIES) as FunctionGroup[];
let handlers: Record<FunctionGroup, Handler>;
let apiKey: string;
let shipped: Record<FunctionGroup, Built>;

interface Built {
  readonly outfile: string;
  /** The source files that went into it. */
  readonly inputs: readonly string[];
  /** The source files with code of their own in it, after tree shaking. */
  readonly code: readonly string[];
}

/**
 * Builds a function group's Lambda bundle as the stack does; `config` is
 * baked in instead of concord.config.json, and `aliasesFor` the configuration the module
 * substitutions are chosen for (the same one unless a test says otherwise).
 */
const bundle = async (
  group: FunctionGroup,
  config?: unknown,
  aliasesFor: unknown = config,
): Promise<Built> => {
  const outfile = join(mkdtempSync(join(tmpdir(), 'concord-bundle-')), 'index.mjs');
  const result = await build({
    entryPoints: [GROUP_ENTRIES[group]],
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
    define: bundleDefines(parseConfig(config ?? rawConfig)),
    metafile: true,
    logLevel: 'error',
  });
  const output = Object.values(result.metafile.outputs).find((o) => o.entryPoint !== undefined);
  const code = Object.entries(output?.inputs ?? {})
    // A module whose code was all shaken out can still leave a call of a
    // dependency's initializer (`init_errors();`): a few bytes, no code of its own.
    .filter(([, input]) => input.bytesInOutput > 64)
    .map(([file]) => file);
  return { outfile, inputs: Object.keys(result.metafile.inputs), code };
};

// What the stack's afterBundling hook does for the public function.
const REDOC_SOURCE = createRequire(import.meta.url).resolve(REDOC_BUNDLE.packagePath);

const SCHEMA_CONFIG = {
  collections: [
    { name: 'people', schema: { type: 'object', required: ['name'] } },
    { name: 'items' },
  ],
};
const usesAjv = (built: Built) => built.inputs.some((input) => input.includes('node_modules/ajv/'));

const hasInput = (built: Built, file: string) => built.inputs.includes(file);

beforeAll(async () => {
  const built = await Promise.all(GROUPS.map((group) => bundle(group)));
  shipped = Object.fromEntries(GROUPS.map((group, i) => [group, built[i]])) as typeof shipped;
  copyFileSync(REDOC_SOURCE, join(dirname(shipped.public.outfile), REDOC_BUNDLE.file));
  const tableName = await createTestTable();
  const client = testDocumentClient();
  apiKey = (
    await createApiKey(createDynamoApiKeyStore({ client, tableName }), {
      tenant: 'bundle',
      scopes: ['read', 'write'],
      quota: 1000,
    })
  ).key;
  client.destroy();
  const env = { ...ENV, [TABLE_NAME_ENV]: tableName, AWS_ENDPOINT_URL_DYNAMODB: testEndpoint() };
  for (const [name, value] of Object.entries(env)) {
    saved[name] = process.env[name];
    process.env[name] = value;
  }
  const loaded = await Promise.all(GROUPS.map((group) => load(shipped[group].outfile)));
  handlers = Object.fromEntries(GROUPS.map((group, i) => [group, loaded[i]])) as typeof handlers;
}, 120_000);

const load = async (outfile: string): Promise<Handler> =>
  ((await import(pathToFileURL(outfile).href)) as { handler: Handler }).handler;

afterAll(() => {
  for (const [name, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[name];
    else process.env[name] = value;
  }
});

const invoke = (
  method: string,
  url: string,
  headers: Record<string, string> = {},
  body?: unknown,
) => {
  const found = matchRoute(method, url);
  // What API Gateway does with a request no route matches: its $default route.
  const match =
    found.kind === 'matched'
      ? found
      : { routeKey: '$default', pathParameters: {} as Record<string, string> };
  const all = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', ...headers };
  const event = toApiGatewayEvent(
    {
      method,
      url,
      headers: Object.fromEntries(Object.entries(all).map(([k, v]) => [k, [v]])),
      body: Buffer.from(body === undefined ? '' : JSON.stringify(body)),
      sourceIp: '127.0.0.1',
    },
    { routeKey: match.routeKey, pathParameters: match.pathParameters },
    'bundle-test',
  );
  // API Gateway's $default route goes to the public function.
  const group = routeFor(match.routeKey)?.group ?? 'public';
  return handlers[group](event, {} as Context);
};

describe('the bundled Lambda handlers', () => {
  it('serves the conflict-safe API against DynamoDB', async () => {
    const created = await invoke('POST', '/v1/items', {}, { id: 'bundled', n: 1 });
    expect(created.statusCode).toBe(201);
    expect(created.headers?.etag).toBe('"1"');
    const stale = await invoke('PUT', '/v1/items/bundled', { 'if-match': '"0"' }, { n: 2 });
    expect(stale.statusCode).toBe(409);
    expect(JSON.parse(String(stale.body)).current.document).toEqual({
      id: 'bundled',
      version: 1,
      n: 1,
    });
    const patched = await invoke(
      'PATCH',
      '/v1/items/bundled',
      { 'content-type': 'application/json-patch+json', 'if-match': '"1"', 'idempotency-key': 'k1' },
      [{ op: 'replace', path: '/n', value: 3 }],
    );
    expect(patched.statusCode).toBe(200);
    expect(JSON.parse(String(patched.body))).toEqual({ id: 'bundled', version: 2, n: 3 });
  });

  it('answers unknown paths and methods on the $default route with problem+json', async () => {
    const nowhere = await invoke('GET', '/nowhere');
    expect(nowhere.statusCode).toBe(404);
    expect(nowhere.headers?.['content-type']).toBe('application/problem+json');
    const wrongMethod = await invoke('POST', '/v1/items/x', {}, {});
    expect(wrongMethod.statusCode).toBe(405);
    expect(wrongMethod.headers?.allow).toContain('PUT');
  });

  it('serves the docs page and the Redoc script copied beside the bundle', async () => {
    const page = await invoke('GET', '/docs', { authorization: '' });
    expect(page.statusCode).toBe(200);
    expect(String(page.body)).toContain('id="problem-version-mismatch"');
    const script = await invoke('GET', '/docs/redoc.standalone.js', { authorization: '' });
    expect(script.statusCode).toBe(200);
    expect(String(script.body)).toBe(readFileSync(REDOC_SOURCE, 'utf8'));
  });

  it("serve only their own group's routes", async () => {
    const event = toApiGatewayEvent(
      {
        method: 'GET',
        url: '/v1/items/x',
        headers: { authorization: [`Bearer ${apiKey}`] },
        body: Buffer.from(''),
        sourceIp: '127.0.0.1',
      },
      { routeKey: 'GET /v1/{collection}/{id}', pathParameters: { collection: 'items', id: 'x' } },
      'bundle-test',
    );
    expect((await handlers.read(event, {} as Context)).statusCode).toBe(404);
    expect((await handlers.write(event, {} as Context)).statusCode).toBe(500);
  });

  it('bundle only the code of their own routes', () => {
    expect(hasInput(shipped.public, 'functions/http/openapi.ts')).toBe(true);
    expect(hasInput(shipped.read, 'functions/http/openapi.ts')).toBe(false);
    expect(hasInput(shipped.write, 'functions/http/openapi.ts')).toBe(false);
    expect(hasInput(shipped.coordinate, 'functions/http/transaction-body.ts')).toBe(true);
    expect(hasInput(shipped.read, 'functions/http/docs-page.ts')).toBe(false);
    // The public function has no table access: it carries no DynamoDB client.
    const usesSdk = (built: Built) =>
      built.inputs.some((input) => input.includes('node_modules/@aws-sdk/client-dynamodb/'));
    expect(usesSdk(shipped.public)).toBe(false);
    expect(usesSdk(shipped.read)).toBe(true);
    // The read function serves no write: no code of the write path is in its bundle.
    const hasCode = (built: Built, file: string) => built.code.includes(file);
    for (const file of ['functions/core/document-writes.ts', 'functions/core/merge.ts']) {
      expect(hasCode(shipped.read, file), file).toBe(false);
      expect(hasCode(shipped.write, file), file).toBe(true);
    }
    // Leases, transactions and webhook subscriptions are the coordinate function's alone.
    for (const file of [
      'functions/core/transaction-engine.ts',
      'functions/core/lease-writes.ts',
      'functions/core/webhook-urls.ts',
    ]) {
      expect(hasCode(shipped.read, file), file).toBe(false);
      expect(hasCode(shipped.write, file), file).toBe(false);
      expect(hasCode(shipped.coordinate, file), file).toBe(true);
    }
    expect(shipped.read.code.some((input) => input.includes('node_modules/fast-json-patch/'))).toBe(
      false,
    );
    // The configuration is baked in checked: neither the file nor its checks are in a bundle.
    for (const group of GROUPS) {
      expect(hasCode(shipped[group], 'concord.config.json')).toBe(false);
      expect(readFileSync(shipped[group].outfile, 'utf8')).not.toContain('is declared twice');
    }
    // Nor is any domain service in the public function's.
    expect(hasCode(shipped.public, 'functions/core/item-reads.ts')).toBe(false);
    expect(hasCode(shipped.read, 'functions/core/item-reads.ts')).toBe(true);
  });

  it('serves the OpenAPI document without a key and refuses the API without one', async () => {
    expect((await invoke('GET', '/v1/openapi.json', { authorization: '' })).statusCode).toBe(200);
    expect((await invoke('GET', '/v1/items', { authorization: '' })).statusCode).toBe(401);
  });
});

describe('the bundled Lambda handler with a collection schema', () => {
  it('validates documents with the JSON Schema engine it loads on demand', async () => {
    const built = await bundle('write', SCHEMA_CONFIG);
    expect(usesAjv(built)).toBe(true);
    const schemaHandler = await load(built.outfile);
    const saved = handlers.write;
    handlers.write = schemaHandler;
    try {
      const refused = await invoke('POST', '/v1/people', {}, { id: 'nameless' });
      expect(refused.statusCode).toBe(422);
      expect(JSON.parse(String(refused.body)).errors).toEqual([
        { pointer: '/name', message: expect.any(String) },
      ]);
      expect((await invoke('POST', '/v1/people', {}, { id: 'ada', name: 'Ada' })).statusCode).toBe(
        201,
      );
    } finally {
      handlers.write = saved;
    }
  }, 60_000);
});

describe('the JSON Schema engine in the bundle', () => {
  it('is left out of the bundles of a configuration without schemas', () => {
    for (const group of GROUPS) expect(usesAjv(shipped[group])).toBe(false);
  });

  it('refuses to start a bundle built without it for a configuration that declares a schema', async () => {
    const mismatched = await bundle('write', SCHEMA_CONFIG, rawConfig);
    expect(usesAjv(mismatched)).toBe(false);
    await expect(load(mismatched.outfile)).rejects.toThrow(
      /built for a configuration without schemas/,
    );
  }, 60_000);
});
