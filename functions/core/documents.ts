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

/** A node of the walk: its value and how it was reached, to spell its pointer if needed. */
interface Visit {
  readonly value: unknown;
  readonly parent: Visit | undefined;
  readonly key: string;
  readonly depth: number;
}

/** The JSON Pointer of a visited node, spelled only for the nodes that have an issue. */
const pointerOf = (visit: Visit): string => {
  const tokens: string[] = [];
  for (let at: Visit | undefined = visit; at?.parent; at = at.parent) {
    tokens.push(escapePointer(at.key));
  }
  return tokens
    .reverse()
    .map((token) => `/${token}`)
    .join('');
};

/**
 * Whether a value has no issue at all: the common case, checked without
 * allocating anything. Recursive, but it never descends past MAX_DEPTH, so
 * a hostile deep document cannot exhaust the stack here either.
 */
const isCleanJson = (node: unknown, depth: number): boolean => {
  if (typeof node !== 'object' || node === null) {
    return typeof node !== 'number' || Number.isFinite(node);
  }
  if (depth > MAX_DEPTH) return false;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) if (!isCleanJson(node[i], depth + 1)) return false;
    return true;
  }
  for (const key in node) {
    if (
      Object.hasOwn(node, key) &&
      !isCleanJson((node as Record<string, unknown>)[key], depth + 1)
    ) {
      return false;
    }
  }
  return true;
};

/**
 * Problems with any parsed JSON value (depth, non-finite numbers), as JSON
 * Pointers. Every request body goes through it: a clean value is confirmed
 * by a walk that allocates nothing; only a value with an issue is walked
 * again, one small record per node, to spell the pointers of the nodes at
 * fault.
 */
export const findJsonIssues = (value: unknown): ValidationIssue[] =>
  isCleanJson(value, 1) ? [] : describeJsonIssues(value);

const describeJsonIssues = (value: unknown): ValidationIssue[] => {
  const issues: ValidationIssue[] = [];
  const stack: Visit[] = [{ value, parent: undefined, key: '', depth: 1 }];
  while (stack.length > 0 && issues.length < 20) {
    const next = stack.pop();
    if (!next) break;
    const node = next.value;
    if (typeof node === 'number' && !Number.isFinite(node)) {
      issues.push({ pointer: pointerOf(next), message: 'numbers must be finite' });
    }
    if (typeof node !== 'object' || node === null) continue;
    if (next.depth > MAX_DEPTH) {
      issues.push({ pointer: pointerOf(next), message: `nesting deeper than ${MAX_DEPTH} levels` });
      continue;
    }
    const depth = next.depth + 1;
    if (Array.isArray(node)) {
      for (let i = 0; i < node.length; i++) {
        stack.push({ value: node[i], parent: next, key: String(i), depth });
      }
    } else {
      for (const key in node) {
        if (Object.hasOwn(node, key)) {
          stack.push({ value: (node as Record<string, unknown>)[key], parent: next, key, depth });
        }
      }
    }
  }
  return issues;
};

/**
 * Parsed request values found clean. A request's value is never changed
 * once parsed (patches and merges build new values), so one that becomes a
 * document as it is, as a PUT or POST body does, is not walked twice.
 */
const cleanRequestValues = new WeakSet<object>();

/** Problems with a request's parsed JSON value, as {@link findJsonIssues}; a clean one is remembered. */
export const findRequestIssues = (value: unknown): ValidationIssue[] => {
  const issues = findJsonIssues(value);
  if (issues.length === 0 && typeof value === 'object' && value !== null) {
    cleanRequestValues.add(value);
  }
  return issues;
};

/** Problems with a parsed JSON value as a document; empty when fine. */
export const findDocumentIssues = (value: unknown): ValidationIssue[] => {
  if (!isPlainObject(value)) return [{ pointer: '', message: 'a document must be a JSON object' }];
  return cleanRequestValues.has(value) ? [] : findJsonIssues(value);
};

/**
 * UTF-8 byte length of a string without allocating a buffer (a lone
 * surrogate counts 3, as U+FFFD). Native: request bodies and documents of
 * hundreds of kilobytes are measured on every write.
 */
export const utf8Length = (text: string): number => Buffer.byteLength(text, 'utf8');

const texts = new WeakMap<object, string>();

/**
 * The JSON text of a document body, made once per body: a write needs it to
 * check its size, for the document's record and for its history entry. A
 * body is never changed once made (every change makes a new one), so the
 * text stays its text.
 */
export const bodyText = (body: JsonObject): string => {
  let text = texts.get(body);
  if (text === undefined) {
    text = JSON.stringify(body);
    texts.set(body, text);
  }
  return text;
};

const recordTexts = new WeakMap<object, string>();

/**
 * Remembers the JSON text of the body of a record read from the table, so
 * that an answer can be written from it without the body being parsed.
 */
export const rememberBodyText = (record: object, text: string): void => {
  recordTexts.set(record, text);
};

/** The JSON text of a record's body when known without parsing it. */
export const knownBodyText = (record: object): string | undefined => recordTexts.get(record);

/** Records the text a body was parsed from, so that it is not made again. */
export const parsedBody = (text: string): JsonObject => {
  const body = JSON.parse(text) as JsonObject;
  texts.set(body, text);
  return body;
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
  const size = utf8Length(bodyText(body));
  if (size > MAX_DOCUMENT_BYTES) {
    throw new PayloadTooLargeError(
      `the document is ${size} bytes; the limit is ${MAX_DOCUMENT_BYTES}`,
      MAX_DOCUMENT_BYTES,
    );
  }
  return body;
};
