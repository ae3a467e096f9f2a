/**
 * How the Lambda code is bundled, as plain data: the stack hands it to
 * NodejsFunction, and a test builds the same bundle with esbuild and runs it
 * against DynamoDB Local, so what ships is what was tested.
 */
import type { ConcordConfig } from '../functions/core/config';
import type { FunctionGroup } from '../functions/http/routes';

export const LAMBDA_BUNDLE = {
  minify: true,
  sourceMap: true,
  target: 'node24',
  platform: 'node',
  mainFields: ['module', 'main'],
  // CommonJS dependencies call require(), which an ES module does not define.
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
} as const;

/**
 * The entry point of each function group's bundle, relative to the project
 * root. Each hands the application only its group's route handlers, so a
 * function's bundle holds the code of the routes API Gateway sends it and
 * not the others'.
 */
export const GROUP_ENTRIES: Readonly<Record<FunctionGroup, string>> = {
  read: 'functions/http/lambda-read.ts',
  write: 'functions/http/lambda-write.ts',
  coordinate: 'functions/http/lambda-coordinate.ts',
  public: 'functions/http/lambda-public.ts',
};

/** The JSON Schema engine's module, as functions/core/schemas.ts loads it. */
export const SCHEMA_ENGINE_MODULE = 'ajv/dist/2020.js';

/** What stands in for it, relative to the project root (esbuild resolves aliases from there). */
export const NO_SCHEMA_ENGINE = './functions/core/no-schema-engine.ts';

/**
 * The module substitutions of the bundle of a configuration. The
 * configuration is baked into the bundle, so whether any collection declares
 * a schema is known when it is built: without one, the JSON Schema engine
 * (Ajv, a fifth of the bundle, which every cold start would still have to
 * read and compile) is left out.
 */
export const bundleAliases = (
  config: Pick<ConcordConfig, 'collections'>,
): Record<string, string> =>
  config.collections.some((collection) => collection.schema !== undefined)
    ? {}
    : { [SCHEMA_ENGINE_MODULE]: NO_SCHEMA_ENGINE };

/**
 * The name the checked configuration is baked under (functions/http/lambda-config.ts).
 * Must match the `declare const` there.
 */
export const CHECKED_CONFIG_GLOBAL = '__CONCORD_CHECKED_CONFIG__';

/**
 * The build-time definitions of the bundle of a configuration: the checked
 * configuration as JSON text, so a cold start neither checks it again nor
 * loads the code that checks it.
 */
export const bundleDefines = (config: ConcordConfig): Record<string, string> => ({
  [CHECKED_CONFIG_GLOBAL]: JSON.stringify(JSON.stringify(config)),
});
