/**
 * Checking a transaction's operations before anything is read or sent.
 * Each operation follows its collection's rules exactly as the single
 * request it stands for would (schema, required preconditions, ids), and
 * every problem of every operation is reported at once, located by a JSON
 * Pointer into the request, in one 422.
 */
import { type Collection, storedBody } from './collections';
import { checkId } from './documents';
import { DomainError, ValidationError, type ValidationIssue } from './errors';
import { bodyFields, withBodyVersion } from './items';
import type { ItemKey, JsonObject, LockToken, WriteCondition } from './items-model';
import { checkPatch, type Patch } from './patch';
import { hasPrecondition, type Preconditions, writeCondition } from './preconditions';
import { actionsOf, budgetRule, OPERATION_ACTION_BUDGET } from './transaction-limits';
import type { OperationName, TransactionOperation } from './transaction-model';

/** An operation ready to become plan parts: its document, condition and body known. */
export interface PreparedOperation {
  readonly index: number;
  /** JSON Pointer of the operation in the request. */
  readonly pointer: string;
  readonly op: OperationName;
  readonly key: ItemKey;
  readonly collection: Collection;
  readonly preconditions: Preconditions;
  /** What the client's preconditions require of the current record (leases aside). */
  readonly condition: WriteCondition;
  readonly lockToken?: LockToken;
  /** The body a create or replace writes. */
  readonly body?: JsonObject;
  readonly patch?: Patch;
  /** The operation as given, with the id the server chose for a create without one. */
  readonly source: TransactionOperation;
}

/** A problem thrown by one check, as issues located under `pointer`. */
const issuesOf = (error: unknown, pointer: string): ValidationIssue[] => {
  if (error instanceof ValidationError) {
    return error.errors.map((issue) => ({
      pointer: `${pointer}${issue.pointer}`,
      message: issue.message,
    }));
  }
  if (error instanceof DomainError) return [{ pointer, message: error.message }];
  throw error;
};

/** The document an operation names, as one string. */
export const documentOf = (key: Pick<ItemKey, 'collection' | 'id'>): string =>
  JSON.stringify([key.collection, key.id]);

export interface PrepareContext {
  readonly tenant: string;
  /** Throws NotFoundError for an undeclared collection. */
  readonly collection: (name: string) => Collection;
  readonly newId: () => string;
}

/** Checks one operation; `issues` collects every problem found. */
export const prepareOperation = (
  context: PrepareContext,
  source: TransactionOperation,
  index: number,
  pointer: string,
  issues: ValidationIssue[],
): PreparedOperation | undefined => {
  const before = issues.length;
  const check = <T>(at: string, run: () => T): T | undefined => {
    try {
      return run();
    } catch (error) {
      issues.push(...issuesOf(error, `${pointer}${at}`));
      return undefined;
    }
  };
  const c = check('/collection', () => context.collection(source.collection));
  let id: string;
  if (source.op === 'create') {
    const fields = check('/document', () => bodyFields(source.document)) ?? {};
    if (fields.version !== undefined) {
      issues.push({
        pointer: `${pointer}/document/version`,
        message: 'a new document has no version',
      });
    }
    if (source.id !== undefined && fields.id !== undefined && fields.id !== source.id) {
      issues.push({
        pointer: `${pointer}/document/id`,
        message: 'differs from the operation "id"',
      });
    }
    id = source.id ?? fields.id ?? context.newId();
  } else {
    id = source.id;
  }
  check('/id', () => checkId(id));
  let pre: Preconditions = source.op === 'create' ? {} : source.preconditions;
  if (source.op === 'replace') {
    pre = check('/document', () => withBodyVersion(source.document, id, pre)) ?? pre;
  }
  if (source.op === 'patch') {
    check('/patch', () => checkPatch(source.patch));
    if (source.patch.format === 'merge') {
      pre = check('/patch', () => withBodyVersion(source.patch.value, id, pre)) ?? pre;
    }
  }
  if (source.op === 'check' && !hasPrecondition(pre)) {
    issues.push({ pointer, message: 'a check needs ifMatch or ifNoneMatch' });
  }
  if (c && source.op !== 'create' && c.config.requirePrecondition && !hasPrecondition(pre)) {
    issues.push({
      pointer,
      message: `writes to "${c.config.name}" need ifMatch (or ifNoneMatch: "*" to create)`,
    });
  }
  const mustExist = source.op === 'patch' || source.op === 'delete';
  const condition =
    source.op === 'create'
      ? { mustBeAbsent: true }
      : check('', () => writeCondition(pre, mustExist ? { mustExist } : {}));
  const body =
    c && (source.op === 'create' || source.op === 'replace')
      ? check('/document', () => storedBody(c, source.document))
      : undefined;
  if (!c || !condition || issues.length > before) return undefined;
  return {
    index,
    pointer,
    op: source.op,
    key: { tenant: context.tenant, collection: source.collection, id },
    collection: c,
    preconditions: pre,
    condition,
    ...(source.op !== 'create' && source.lockToken ? { lockToken: source.lockToken } : {}),
    ...(body ? { body } : {}),
    ...(source.op === 'patch' ? { patch: source.patch } : {}),
    source: source.op === 'create' ? { ...source, id } : source,
  };
};

/**
 * Checks a whole transaction: every operation, each document named once
 * (DynamoDB takes one action per item, and a transaction that changed a
 * document twice would have no single meaning), and the size rule of
 * transaction-limits.ts. Throws one ValidationError listing every problem.
 */
export const prepareOperations = (
  context: PrepareContext,
  /** Undefined where an operation could not be read at all (its problems in `unreadable`). */
  operations: readonly (TransactionOperation | undefined)[],
  unreadable: readonly ValidationIssue[] = [],
  base = '/operations',
): PreparedOperation[] => {
  const issues: ValidationIssue[] = [...unreadable];
  if (operations.length === 0) {
    issues.push({ pointer: base, message: 'a transaction needs at least one operation' });
  }
  const prepared: PreparedOperation[] = [];
  const named = new Map<string, number>();
  let actions = 0;
  operations.forEach((operation, index) => {
    if (!operation) return;
    const pointer = `${base}/${index}`;
    const ready = prepareOperation(context, operation, index, pointer, issues);
    if (!ready) return;
    const document = documentOf(ready.key);
    const first = named.get(document);
    if (first !== undefined) {
      issues.push({
        pointer: `${pointer}/id`,
        message: `operation ${first} names this document already: a transaction changes each document once`,
      });
    }
    named.set(document, first ?? index);
    actions += actionsOf(ready.op, ready.collection);
    prepared.push(ready);
  });
  if (actions > OPERATION_ACTION_BUDGET) {
    issues.push({ pointer: base, message: `${budgetRule()}; this one needs ${actions}` });
  }
  if (issues.length > 0) throw new ValidationError('the transaction is not valid', issues);
  return prepared;
};
