/**
 * The two patch formats: JSON Merge Patch (RFC 7396) and JSON Patch
 * (RFC 6902, json-patch.ts). Both apply to the representation
 * (document plus `id` and `version`), so a JSON Patch `test` of `/version`
 * works as a precondition.
 */
import { utf8Length } from './documents';
import {
  BadRequestError,
  PatchTestFailedError,
  PayloadTooLargeError,
  ValidationError,
} from './errors';
import type { ItemView, JsonObject, JsonValue } from './items-model';
import {
  applyOperation,
  JsonPatchError,
  PATCH_OPS,
  type PatchOperation,
  valueAt,
} from './json-patch';
import { MAX_DOCUMENT_BYTES, MAX_PATCH_OPERATIONS } from './limits';

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

const OPS = new Set<string>(PATCH_OPS);

/** Checks a patch's structure; done before any read, so a malformed patch is always a 400. */
export const checkPatch = (patch: Patch): void => {
  if (patch.format === 'json') checkOperations(patch.value);
};

const checkOperations = (value: JsonValue): PatchOperation[] => {
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
  return value as unknown as PatchOperation[];
};

/**
 * Most bytes a patch may copy and measure while it applies: copies are where
 * a small patch turns into a large document (every `copy` of the root doubles
 * it), so their cost is bounded as they happen, not after.
 */
export const MAX_PATCH_WORK_BYTES = 16 * MAX_DOCUMENT_BYTES;

const jsonSize = (value: unknown): number =>
  value === undefined ? 0 : utf8Length(JSON.stringify(value));

/** What an operation may add to the document, without applying it. */
const growthOf = (document: JsonValue, op: PatchOperation): number => {
  if (op.op === 'add' || op.op === 'replace') return jsonSize(op.value);
  if (op.op !== 'copy' || typeof op.from !== 'string') return 0;
  // An unresolvable `from` is refused when the operation applies.
  return jsonSize(valueAt(document, op.from));
};

/**
 * Applies operations one at a time, keeping an upper bound of the document's
 * size: once it passes the stored-document limit the real size is measured,
 * and the patch stops with 413 as soon as the document would be too large, or
 * with 422 when it has copied and measured too much on the way.
 */
const applyBounded = (document: JsonObject, operations: readonly PatchOperation[]): JsonValue => {
  let current: JsonValue = structuredClone(document);
  let bound = jsonSize(current);
  let work = 0;
  for (const [index, op] of operations.entries()) {
    const growth = growthOf(current, op);
    work += growth;
    if (bound + growth > MAX_DOCUMENT_BYTES) {
      bound = jsonSize(current);
      work += bound;
      if (bound + growth > MAX_DOCUMENT_BYTES) {
        throw new PayloadTooLargeError(
          `operation ${index} would make the document larger than ${MAX_DOCUMENT_BYTES} bytes`,
          MAX_DOCUMENT_BYTES,
        );
      }
    }
    if (work > MAX_PATCH_WORK_BYTES) {
      throw new ValidationError('the patch copies too much data', [
        {
          pointer: `/${index}`,
          message: `operations 0 to ${index} copy more than ${MAX_PATCH_WORK_BYTES} bytes`,
        },
      ]);
    }
    current = applyOperation(current, op, index);
    bound += growth;
  }
  return current;
};

/** Applies a JSON Patch to a representation; a failed `test` is a conflict with the current state. */
export const applyJsonPatch = (current: ItemView, value: JsonValue): JsonValue => {
  const operations = checkOperations(value);
  try {
    return applyBounded(current.document, operations);
  } catch (error) {
    // Anything but a refused operation is the server's fault, not the patch's.
    if (!(error instanceof JsonPatchError)) throw error;
    const { index, pointer, failure: name } = error;
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
