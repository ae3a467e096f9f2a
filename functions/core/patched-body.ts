import { type Collection, storedBody } from './collections';
import { NotFoundError, ValidationError } from './errors';
import { type JsonObject, type StoredItem, viewOf } from './items-model';
import { applyPatch, type Patch } from './patch';

/**
 * The body a patch makes of the current document, checked like any written
 * body. The patch applies to the representation (with `id` and `version`),
 * so neither may be changed by it; a failed JSON Patch `test` is a
 * `PatchTestFailedError` carrying the current state.
 */
export const patchedBody = (
  c: Collection,
  id: string,
  patch: Patch,
  current: StoredItem | undefined,
): JsonObject => {
  if (!current) throw new NotFoundError(`no document "${id}"`);
  const result = applyPatch(viewOf(current), patch);
  if (
    typeof result === 'object' &&
    result !== null &&
    !Array.isArray(result) &&
    (patch.format === 'json'
      ? result.id !== id || result.version !== current.version
      : result.id !== undefined && result.id !== id)
  ) {
    throw new ValidationError('"id" and "version" are managed by the server', [
      { pointer: result.id !== id ? '/id' : '/version', message: 'cannot be changed' },
    ]);
  }
  return storedBody(c, result);
};
