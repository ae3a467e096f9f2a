/**
 * Checks that a client's JSON is a document Concord can store: an object,
 * finite numbers, bounded depth and size. Iterative, so a hostile deep
 * document cannot exhaust the stack.
 */
import {
  BadRequestError,
  PayloadTooLargeError,
  ValidationError,
  type ValidationIssue,
} from './errors';
import type { JsonObject } from './items-model';
import { ID_PATTERN, MAX_DEPTH, MAX_DOCUMENT_BYTES } from './limits';

/**
 * Refuses ids outside the documented charset and length, and the dot
 * segments `.` and `..`: URL normalisation (RFC 3986 §5.2.4) removes them, so
 * no standard client could ever address such a document.
 */
export const checkId = (id: string): void => {
  if (!ID_PATTERN.test(id)) {
    throw new BadRequestError(`an id must match ${ID_PATTERN.source}`);
  }
  if (id === '.' || id === '..') {
    throw new BadRequestError('an id cannot be "." or "..": URLs cannot carry them');
  }
};

/** Fields the server manages; they are part of every representation. */
export const RESERVED_FIELDS = ['id', 'version'] as const;

/** RFC 6901 escaping of one reference token. */
export const escapePointer = (key: string): string =>
  key.replaceAll('~', '~0').replaceAll('/', '~1');

export const isPlainObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Problems with any parsed JSON value (depth, non-finite numbers), as JSON Pointers. */
export const findJsonIssues = (value: unknown): ValidationIssue[] => {
  const issues: ValidationIssue[] = [];
  const stack: Array<{ value: unknown; pointer: string; depth: number }> = [
    { value, pointer: '', depth: 1 },
  ];
  while (stack.length > 0 && issues.length < 20) {
    const next = stack.pop();
    if (!next) break;
    const { value: node, pointer, depth } = next;
    if (typeof node === 'number' && !Number.isFinite(node)) {
      issues.push({ pointer, message: 'numbers must be finite' });
    }
    if (typeof node !== 'object' || node === null) continue;
    if (depth > MAX_DEPTH) {
      issues.push({ pointer, message: `nesting deeper than ${MAX_DEPTH} levels` });
      continue;
    }
    const entries = Array.isArray(node)
      ? node.map((child, index) => [String(index), child] as const)
      : Object.entries(node);
    for (const [key, child] of entries) {
      stack.push({ value: child, pointer: `${pointer}/${escapePointer(key)}`, depth: depth + 1 });
    }
  }
  return issues;
};

/** Problems with a parsed JSON value as a document; empty when fine. */
export const findDocumentIssues = (value: unknown): ValidationIssue[] =>
  isPlainObject(value)
    ? findJsonIssues(value)
    : [{ pointer: '', message: 'a document must be a JSON object' }];

const isLowSurrogate = (code: number): boolean => code >= 0xdc00 && code <= 0xdfff;

/** UTF-8 byte length of a string without allocating a buffer (a lone surrogate counts 3, as U+FFFD). */
export const utf8Length = (text: string): number => {
  let bytes = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x80) bytes += 1;
    else if (code < 0x800) bytes += 2;
    else if (code >= 0xd800 && code <= 0xdbff && isLowSurrogate(text.charCodeAt(i + 1))) {
      bytes += 4;
      i++;
    } else bytes += 3;
  }
  return bytes;
};

/**
 * Turns a client's JSON value into the stored body: checks shape, strips the
 * server-managed fields (the caller has already interpreted them) and checks
 * the size it will have in the table.
 */
export const toStoredBody = (value: unknown): JsonObject => {
  const issues = findDocumentIssues(value);
  if (issues.length > 0) throw new ValidationError('the document is not acceptable', issues);
  const body: JsonObject = { ...(value as JsonObject) };
  for (const field of RESERVED_FIELDS) delete body[field];
  const size = utf8Length(JSON.stringify(body));
  if (size > MAX_DOCUMENT_BYTES) {
    throw new PayloadTooLargeError(
      `the document is ${size} bytes; the limit is ${MAX_DOCUMENT_BYTES}`,
      MAX_DOCUMENT_BYTES,
    );
  }
  return body;
};
