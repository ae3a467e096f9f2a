/**
 * The JSON of transactions: reading operations from a request body (every
 * problem located by a JSON Pointer: 400 when the body is not a transaction
 * at all, 422 for each operation that cannot be read), and writing
 * operations and results back.
 *
 * ```json
 * {"operations": [
 *   {"op": "create",  "collection": "accounts", "id": "a", "document": {"balance": 0}},
 *   {"op": "replace", "collection": "accounts", "id": "b", "ifMatch": "\"3\"", "document": {}},
 *   {"op": "patch",   "collection": "accounts", "id": "c", "ifMatch": "\"5\"",
 *                     "patchFormat": "merge", "patch": {"balance": 10}},
 *   {"op": "delete",  "collection": "accounts", "id": "d", "ifMatch": "\"2\""},
 *   {"op": "check",   "collection": "limits",   "id": "e", "ifMatch": "\"7\""}
 * ]}
 * ```
 */
import { isPlainObject } from '../core/documents';
import { BadRequestError, DomainError, type ValidationIssue } from '../core/errors';
import { etagOf, type JsonValue } from '../core/items-model';
import { formatLockToken, parseLockToken } from '../core/leases';
import type { Patch } from '../core/patch';
import type { Preconditions, TagSet } from '../core/preconditions';
import type {
  OperationName,
  OperationOutcome,
  OperationResult,
  TransactionOperation,
} from '../core/transaction-model';
import { parseTagSet } from './request';
import { documentPath } from './responses';

/** The members each kind of operation takes. */
const MEMBERS: Record<OperationName, readonly string[]> = {
  create: ['op', 'collection', 'id', 'document'],
  replace: ['op', 'collection', 'id', 'document', 'ifMatch', 'ifNoneMatch', 'lockToken'],
  patch: ['op', 'collection', 'id', 'patch', 'patchFormat', 'ifMatch', 'ifNoneMatch', 'lockToken'],
  delete: ['op', 'collection', 'id', 'ifMatch', 'ifNoneMatch', 'lockToken'],
  check: ['op', 'collection', 'id', 'ifMatch', 'ifNoneMatch', 'lockToken'],
};
const OPS = Object.keys(MEMBERS) as OperationName[];

/**
 * Reads one operation; each problem is added to `issues` under `pointer`.
 * Returns undefined when the operation cannot be read.
 */
export const parseOperation = (
  value: JsonValue,
  pointer: string,
  issues: ValidationIssue[],
): TransactionOperation | undefined => {
  const before = issues.length;
  const problem = (at: string, message: string) =>
    issues.push({ pointer: `${pointer}${at}`, message });
  if (!isPlainObject(value)) {
    problem('', 'an operation must be an object');
    return undefined;
  }
  const op = value.op as OperationName;
  if (typeof op !== 'string' || !OPS.includes(op)) {
    problem('/op', `"op" must be one of ${OPS.join(', ')}`);
    return undefined;
  }
  for (const member of Object.keys(value)) {
    if (!MEMBERS[op].includes(member)) problem(`/${member}`, `a ${op} takes no "${member}"`);
  }
  const text = (name: string, required: boolean): string | undefined => {
    const found = value[name];
    if (found === undefined && !required) return undefined;
    if (typeof found !== 'string') problem(`/${name}`, `"${name}" must be a string`);
    return typeof found === 'string' ? found : undefined;
  };
  const read = <T>(name: string, parse: (raw: string) => T): T | undefined => {
    const raw = text(name, false);
    try {
      return raw === undefined ? undefined : parse(raw);
    } catch (error) {
      if (!(error instanceof DomainError)) throw error;
      problem(`/${name}`, error.message);
      return undefined;
    }
  };
  const collection = text('collection', true) ?? '';
  const id = text('id', op !== 'create');
  const ifMatch = read('ifMatch', (raw) => parseTagSet('ifMatch', raw));
  const ifNoneMatch = read('ifNoneMatch', (raw) => parseTagSet('ifNoneMatch', raw));
  const lockToken = read('lockToken', parseLockToken);
  const preconditions: Preconditions = {
    ...(ifMatch !== undefined ? { ifMatch } : {}),
    ...(ifNoneMatch !== undefined ? { ifNoneMatch } : {}),
  };
  const target = { collection, id: id ?? '', ...(lockToken ? { lockToken } : {}) };
  if ((op === 'create' || op === 'replace') && value.document === undefined) {
    problem('/document', `a ${op} needs a "document"`);
  }
  const format = value.patchFormat ?? 'merge';
  if (op === 'patch') {
    if (value.patch === undefined) problem('/patch', 'a patch needs a "patch"');
    if (format !== 'merge' && format !== 'json') {
      problem('/patchFormat', '"patchFormat" must be "merge" (RFC 7396) or "json" (RFC 6902)');
    }
  }
  if (issues.length > before) return undefined;
  const document = value.document as JsonValue;
  switch (op) {
    case 'create':
      return { op, collection, ...(id !== undefined ? { id } : {}), document };
    case 'replace':
      return { op, ...target, document, preconditions };
    case 'patch': {
      const patch: Patch = {
        format: format === 'json' ? 'json' : 'merge',
        value: value.patch as JsonValue,
      };
      return { op, ...target, patch, preconditions };
    }
    case 'delete':
    case 'check':
      return { op, ...target, preconditions };
  }
};

/**
 * Reads `{"operations": [...]}`: 400 when the body is not shaped like a
 * transaction. An operation that cannot be read is undefined, its problems
 * in `issues`, so the domain reports them with its own in one 422.
 */
export const parseTransactionBody = (
  value: JsonValue,
): { operations: (TransactionOperation | undefined)[]; issues: ValidationIssue[] } => {
  if (!isPlainObject(value) || !Array.isArray(value.operations)) {
    throw new BadRequestError('the body must be an object with an "operations" array', [
      { pointer: isPlainObject(value) ? '/operations' : '', message: 'an array of operations' },
    ]);
  }
  const unknown = Object.keys(value).filter((member) => member !== 'operations');
  if (unknown.length > 0) {
    throw new BadRequestError(
      'a transaction body has only "operations"',
      unknown.map((member) => ({ pointer: `/${member}`, message: 'unknown member' })),
    );
  }
  const issues: ValidationIssue[] = [];
  const operations = value.operations.map((op, i) =>
    parseOperation(op, `/operations/${i}`, issues),
  );
  return { operations, issues };
};

const formatTags = (tags: TagSet): string =>
  tags === '*' ? '*' : tags.map((t) => `${t.weak ? 'W/' : ''}"${t.opaque}"`).join(', ');

/** An operation as JSON, the way a client sends it. */
export const formatOperation = (operation: TransactionOperation): Record<string, unknown> => {
  const { op, collection } = operation;
  if (op === 'create') {
    return { op, collection, id: operation.id, document: operation.document };
  }
  const { ifMatch, ifNoneMatch } = operation.preconditions;
  return {
    op,
    collection,
    id: operation.id,
    ...(op === 'replace' ? { document: operation.document } : {}),
    ...(op === 'patch'
      ? { patchFormat: operation.patch.format, patch: operation.patch.value }
      : {}),
    ...(ifMatch !== undefined ? { ifMatch: formatTags(ifMatch) } : {}),
    ...(ifNoneMatch !== undefined ? { ifNoneMatch: formatTags(ifNoneMatch) } : {}),
    ...(operation.lockToken ? { lockToken: formatLockToken(operation.lockToken) } : {}),
  };
};

/** The status each operation would have answered alone. */
const STATUS: Record<OperationOutcome, number> = {
  created: 201,
  replaced: 200,
  patched: 200,
  deleted: 204,
  checked: 200,
};

/** One operation's result as JSON: what its single request would answer, in one object. */
export const formatResult = (result: OperationResult, index: number): Record<string, unknown> => {
  const { op, outcome, collection, id, version, item } = result;
  return {
    index,
    op,
    status: STATUS[outcome],
    collection,
    id,
    version,
    ...(version !== null && outcome !== 'deleted' ? { etag: etagOf(version) } : {}),
    ...(outcome === 'created' ? { location: documentPath(collection, id) } : {}),
    ...(item ? { document: item.document } : {}),
  };
};
