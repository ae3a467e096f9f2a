/**
 * Per-collection JSON Schema validation (draft 2020-12, Ajv). Schemas compile
 * once when the configuration loads; a schema that does not compile is a
 * configuration error, never a request error.
 */
import * as nodeModule from 'node:module';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { CollectionConfig } from './config';
import { ConfigError } from './config';
import { escapePointer } from './documents';
import { ValidationError } from './errors';
import type { JsonObject } from './items-model';

export type DocumentValidator = (body: JsonObject) => void;

const noValidation: DocumentValidator = () => {};

type AjvModule = typeof import('ajv/dist/2020.js');
let ajvModule: AjvModule | undefined;

/**
 * Ajv is about a fifth of the Lambda bundle, and most deployments declare
 * no schema: it is loaded the first time a collection has one. In the esbuild
 * bundle the plain `require` is esbuild's own (the module is inside the bundle
 * and runs only when called); under Node's ES modules there is no `require`.
 * The bundle of a configuration without schemas leaves Ajv out altogether
 * (infra/bundle-options.ts).
 */
const loadAjv = (): AjvModule => {
  ajvModule ??=
    typeof require === 'function'
      ? (require('ajv/dist/2020.js') as AjvModule)
      : (nodeModule.createRequire(import.meta.url)('ajv/dist/2020.js') as AjvModule);
  return ajvModule;
};

/** Compiles a collection's schema into a validator that throws {@link ValidationError}. */
export const compileValidator = (
  collection: Pick<CollectionConfig, 'name' | 'schema'> & Partial<CollectionConfig>,
): DocumentValidator => {
  if (!collection.schema) return noValidation;
  const ajv = new (loadAjv().Ajv2020)({ allErrors: true, strict: false });
  let validate: ValidateFunction;
  try {
    validate = ajv.compile(collection.schema);
  } catch (error) {
    throw new ConfigError(
      `the schema of "${collection.name}" does not compile: ${(error as Error).message}`,
    );
  }
  return (body) => {
    if (validate(body)) return;
    const errors = (validate.errors ?? []).slice(0, 20).map((e) => ({
      pointer:
        e.keyword === 'required'
          ? `${e.instancePath}/${escapePointer(String((e.params as { missingProperty?: string }).missingProperty))}`
          : e.instancePath,
      message: e.message ?? e.keyword,
    }));
    throw new ValidationError(
      `the document does not match the schema of "${collection.name}"`,
      errors,
    );
  };
};
