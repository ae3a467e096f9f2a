/**
 * The two patch formats: JSON Merge Patch (RFC 7396) and JSON Patch
 * (RFC 6902, through fast-json-patch). Both apply to the representation
 * (document plus `id` and `version`), so a JSON Patch `test` of `/version`
 * works as a precondition.
 */
import type { Operation } from 'fast-json-patch';
import jsonPatch from 'fast-json-patch';
import { BadRequestError, PatchTestFailedError, ValidationError } from './errors';
import type { ItemView, JsonObject, JsonValue } from './items-model';
import { MAX_PATCH_OPERATIONS } from './limits';

export type Patch =
  | { readonly format: 'merge'; readonly value: JsonValue }
  | { readonly format: 'json'; readonly value: JsonValue };

const isObject = (value: JsonValue | undefined): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * RFC 7396 §2. Builds new objects through entries, so a `__proto__` key is
 * an ordinary field and never reaches an object's prototype. Depth is bounded
 * by the document checks that ran on the patch before it gets here.
 */
export const applyMergePatch = (target: JsonValue | undefined, patch: JsonValue): JsonValue => {
  if (!isObject(patch)) return patch;
  const result = new Map<string, JsonValue>(isObject(target) ? Object.entries(target) : []);
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) result.delete(key);
    else result.set(key, applyMergePatch(result.get(key), value));
  }
  return Object.fromEntries(result);
};

const OPS = new Set(['add', 'remove', 'replace', 'move', 'copy', 'test']);

/** Checks a patch's structure; done before any read, so a malformed patch is always a 400. */
export const checkPatch = (patch: Patch): void => {
  if (patch.format === 'json') checkOperations(patch.value);
};

const checkOperations = (value: JsonValue): Operation[] => {
  if (!Array.isArray(value))
    throw new BadRequestError('a JSON Patch must be an array of operations');
  if (value.length > MAX_PATCH_OPERATIONS) {
    throw new BadRequestError(`a JSON Patch may hold at most ${MAX_PATCH_OPERATIONS} operations`);
  }
  value.forEach((op, index) => {
    if (!isObject(op) || typeof op.op !== 'string' || !OPS.has(op.op)) {
      throw new BadRequestError(`operation ${index} has no known "op"`);
    }
    if (typeof op.path !== 'string') throw new BadRequestError(`operation ${index} has no "path"`);
  });
  return value as unknown as Operation[];
};

const describePatchError = (
  error: unknown,
  operations: readonly Operation[],
): { index: number; pointer: string; name: string } => {
  if (error instanceof jsonPatch.JsonPatchError) {
    // The library's validator reports index 0 for every operation; find the real one.
    const found = operations.indexOf(error.operation as Operation);
    return {
      index: found >= 0 ? found : (error.index ?? 0),
      pointer: (error.operation as { path?: string } | undefined)?.path ?? '',
      name: error.name,
    };
  }
  // fast-json-patch throws a plain TypeError for `__proto__` paths.
  return { index: 0, pointer: '', name: 'OPERATION_PATH_INVALID' };
};

/** Applies a JSON Patch to a representation; a failed `test` is a conflict with the current state. */
export const applyJsonPatch = (current: ItemView, value: JsonValue): JsonValue => {
  const operations = checkOperations(value);
  try {
    return jsonPatch.applyPatch(current.document, operations, true, false).newDocument;
  } catch (error) {
    const { index, pointer, name } = describePatchError(error, operations);
    if (name === 'TEST_OPERATION_FAILED') {
      throw new PatchTestFailedError(
        `test operation ${index} failed at "${pointer}"`,
        current,
        pointer,
      );
    }
    throw new ValidationError('the patch cannot be applied to this document', [
      { pointer, message: `operation ${index}: ${name.toLowerCase().replaceAll('_', ' ')}` },
    ]);
  }
};

/** The patched representation, before the server-managed fields are checked and stripped. */
export const applyPatch = (current: ItemView, patch: Patch): JsonValue =>
  patch.format === 'merge'
    ? applyMergePatch(current.document, patch.value)
    : applyJsonPatch(current, patch.value);
