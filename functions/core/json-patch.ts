/**
 * JSON Patch (RFC 6902) over JSON Pointers (RFC 6901), applied one
 * operation at a time so that patch.ts can bound the work as it goes.
 *
 * Objects are read through their own properties only, so a key such as
 * `constructor` or `toString` is an ordinary member, and a `__proto__`
 * token is refused: it could only reach an object's prototype. Values
 * added, replaced and copied are copies, so a later operation never changes
 * the patch it came from (a refused patch is recorded as it was sent).
 * Stricter than some libraries where RFC 6901 is: an array index has no
 * leading zeros, and a `~` must start `~0` or `~1`.
 */
import type { JsonObject, JsonValue } from './items-model';

/** The operations of RFC 6902 §4. */
export const PATCH_OPS = ['add', 'remove', 'replace', 'move', 'copy', 'test'] as const;

/** What an operation looks like once checked for `op` and `path` (patch.ts). */
export interface PatchOperation {
  readonly op: (typeof PATCH_OPS)[number];
  readonly path: string;
  readonly from?: unknown;
  readonly value?: unknown;
}

/** Why an operation cannot apply, in the names clients see in a 422's detail. */
export type PatchFailure =
  | 'OPERATION_PATH_INVALID'
  | 'OPERATION_FROM_REQUIRED'
  | 'OPERATION_VALUE_REQUIRED'
  | 'OPERATION_PATH_CANNOT_ADD'
  | 'OPERATION_PATH_UNRESOLVABLE'
  | 'OPERATION_FROM_UNRESOLVABLE'
  | 'OPERATION_PATH_ILLEGAL_ARRAY_INDEX'
  | 'OPERATION_VALUE_OUT_OF_BOUNDS'
  | 'OPERATION_MOVE_INTO_ITSELF'
  | 'TEST_OPERATION_FAILED';

export class JsonPatchError extends Error {
  constructor(
    readonly failure: PatchFailure,
    /** The operation's position in the patch. */
    readonly index: number,
    /** The pointer that failed (`from` for a source that does not resolve). */
    readonly pointer: string,
  ) {
    super(`operation ${index}: ${failure.toLowerCase().replaceAll('_', ' ')}`);
    this.name = 'JsonPatchError';
  }
}

type Container = JsonObject | JsonValue[];

const isContainer = (value: JsonValue | undefined): value is Container =>
  typeof value === 'object' && value !== null;

/** RFC 6901 §4: `0` or a number without leading zeros. */
const ARRAY_INDEX = /^(?:0|[1-9][0-9]*)$/;

/**
 * The reference tokens of a pointer; undefined for a pointer that is not
 * one: not empty and not starting with `/`, a `~` not followed by 0 or 1,
 * or a `__proto__` token.
 */
export const parsePointer = (pointer: string): string[] | undefined => {
  if (pointer === '') return [];
  if (!pointer.startsWith('/')) return undefined;
  const tokens: string[] = [];
  for (const raw of pointer.slice(1).split('/')) {
    if (/~(?![01])/.test(raw)) return undefined;
    const token = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (token === '__proto__') return undefined;
    tokens.push(token);
  }
  return tokens;
};

/** The member or element a token names in a container, if it has one. */
const child = (container: Container, token: string): JsonValue | undefined => {
  if (Array.isArray(container)) {
    return ARRAY_INDEX.test(token) ? container[Number(token)] : undefined;
  }
  return Object.hasOwn(container, token) ? container[token] : undefined;
};

/** The value reference tokens name in a document; undefined when they name none. */
const resolve = (document: JsonValue, tokens: readonly string[]): JsonValue | undefined => {
  let current: JsonValue | undefined = document;
  for (const token of tokens) {
    if (!isContainer(current)) return undefined;
    current = child(current, token);
  }
  return current;
};

/** The value a pointer names in a document; undefined when it names none (or is no pointer). */
export const valueAt = (document: JsonValue, pointer: string): JsonValue | undefined => {
  const tokens = parsePointer(pointer);
  return tokens ? resolve(document, tokens) : undefined;
};

/** RFC 6902 §4.6: JSON equality, member order aside. */
export const jsonEqual = (a: JsonValue | undefined, b: JsonValue | undefined): boolean => {
  if (a === b) return true;
  if (!isContainer(a) || !isContainer(b)) return false;
  if (Array.isArray(a) || Array.isArray(b)) {
    if (!Array.isArray(a) || !Array.isArray(b) || a.length !== b.length) return false;
    return a.every((value, i) => jsonEqual(value, b[i]));
  }
  const keys = Object.keys(a);
  if (keys.length !== Object.keys(b).length) return false;
  return keys.every((key) => Object.hasOwn(b, key) && jsonEqual(a[key], b[key]));
};

/**
 * Applies one operation to `document`, changing it in place, and returns the
 * document (a new one when the operation replaced the root). Throws
 * {@link JsonPatchError} when it cannot apply; the document may then be
 * half changed, so a patch is applied to a copy that is dropped on failure
 * (patch.ts).
 */
export const applyOperation = (
  document: JsonValue,
  op: PatchOperation,
  index: number,
): JsonValue => {
  const fail = (failure: PatchFailure, pointer = op.path): never => {
    throw new JsonPatchError(failure, index, pointer);
  };
  const path = parsePointer(op.path) ?? fail('OPERATION_PATH_INVALID');
  const needsValue = op.op === 'add' || op.op === 'replace' || op.op === 'test';
  if (needsValue && op.value === undefined) fail('OPERATION_VALUE_REQUIRED');
  const value = op.value as JsonValue;

  switch (op.op) {
    case 'test':
      if (!jsonEqual(resolve(document, path), value)) fail('TEST_OPERATION_FAILED');
      return document;
    case 'add':
      return add(document, path, structuredClone(value), fail);
    case 'remove':
      if (resolve(document, path) === undefined) fail('OPERATION_PATH_UNRESOLVABLE');
      return remove(document, path);
    case 'replace':
      if (resolve(document, path) === undefined) fail('OPERATION_PATH_UNRESOLVABLE');
      return replace(document, path, structuredClone(value));
    case 'copy':
    case 'move': {
      if (typeof op.from !== 'string') return fail('OPERATION_FROM_REQUIRED');
      const from = parsePointer(op.from) ?? fail('OPERATION_PATH_INVALID', op.from);
      const source = resolve(document, from);
      if (source === undefined) return fail('OPERATION_FROM_UNRESOLVABLE', op.from);
      if (op.op === 'copy') return add(document, path, structuredClone(source), fail);
      if (from.every((token, i) => path[i] === token)) {
        // Onto itself it moves nothing; RFC 6902 §4.4: never into one of its own children.
        if (path.length === from.length) return document;
        if (path.length > from.length) fail('OPERATION_MOVE_INTO_ITSELF');
      }
      return add(remove(document, from), path, source, fail);
    }
  }
};

/** The container an `add` at `path` goes into, and the token within it; refused when there is none. */
const addTarget = (
  document: JsonValue,
  path: readonly string[],
  fail: (failure: PatchFailure) => never,
): { parent: Container; token: string } => {
  const parent = resolve(document, path.slice(0, -1));
  if (!isContainer(parent)) return fail('OPERATION_PATH_CANNOT_ADD');
  const token = path[path.length - 1] as string;
  if (Array.isArray(parent)) {
    if (token !== '-' && !ARRAY_INDEX.test(token)) fail('OPERATION_PATH_ILLEGAL_ARRAY_INDEX');
    if (token !== '-' && Number(token) > parent.length) fail('OPERATION_VALUE_OUT_OF_BOUNDS');
  }
  return { parent, token };
};

const add = (
  document: JsonValue,
  path: readonly string[],
  value: JsonValue,
  fail: (failure: PatchFailure) => never,
): JsonValue => {
  if (path.length === 0) return value;
  const { parent, token } = addTarget(document, path, fail);
  if (Array.isArray(parent)) {
    parent.splice(token === '-' ? parent.length : Number(token), 0, value);
  } else {
    parent[token] = value;
  }
  return document;
};

/** Replaces what `path` names, in its place; the caller has checked that it names something. */
const replace = (document: JsonValue, path: readonly string[], value: JsonValue): JsonValue => {
  if (path.length === 0) return value;
  const parent = resolve(document, path.slice(0, -1)) as Container;
  const token = path[path.length - 1] as string;
  if (Array.isArray(parent)) parent[Number(token)] = value;
  else parent[token] = value;
  return document;
};

/** Removes what `path` names; the caller has checked that it names something. */
const remove = (document: JsonValue, path: readonly string[]): JsonValue => {
  if (path.length === 0) return null;
  const parent = resolve(document, path.slice(0, -1)) as Container;
  const token = path[path.length - 1] as string;
  if (Array.isArray(parent)) parent.splice(Number(token), 1);
  else delete parent[token];
  return document;
};
