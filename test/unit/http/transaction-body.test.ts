import { describe, expect, it } from 'vitest';
import type { ValidationIssue } from '../../../functions/core/errors';
import { BadRequestError, ValidationError } from '../../../functions/core/errors';
import { viewOf } from '../../../functions/core/items-model';
import {
  formatOperation,
  formatResult,
  parseOperation,
  parseTransactionBody,
} from '../../../functions/http/transaction-body';

const issuesOf = (run: () => unknown): ValidationIssue[] => {
  try {
    run();
  } catch (error) {
    if (error instanceof ValidationError || error instanceof BadRequestError)
      return [...(error.errors ?? [])];
    throw error;
  }
  throw new Error('expected a refusal');
};

describe('parseTransactionBody', () => {
  it('reads every kind of operation with its preconditions and lease token', () => {
    const lockToken = `3:${'L'.repeat(24)}`;
    const { operations, issues } = parseTransactionBody({
      operations: [
        { op: 'create', collection: 'notes', document: { a: 1 } },
        { op: 'replace', collection: 'notes', id: 'r', ifNoneMatch: '*', document: {} },
        {
          op: 'patch',
          collection: 'notes',
          id: 'p',
          ifMatch: '"2", "3"',
          patch: [],
          patchFormat: 'json',
          lockToken,
        },
        { op: 'delete', collection: 'notes', id: 'd', ifMatch: '"4"' },
        { op: 'check', collection: 'notes', id: 'c', ifMatch: '*' },
      ],
    });
    expect(operations).toEqual([
      { op: 'create', collection: 'notes', document: { a: 1 } },
      {
        op: 'replace',
        collection: 'notes',
        id: 'r',
        document: {},
        preconditions: { ifNoneMatch: '*' },
      },
      {
        op: 'patch',
        collection: 'notes',
        id: 'p',
        lockToken: { fencing: 3, leaseId: 'L'.repeat(24) },
        patch: { format: 'json', value: [] },
        preconditions: {
          ifMatch: [
            { weak: false, opaque: '2' },
            { weak: false, opaque: '3' },
          ],
        },
      },
      {
        op: 'delete',
        collection: 'notes',
        id: 'd',
        preconditions: { ifMatch: [{ weak: false, opaque: '4' }] },
      },
      { op: 'check', collection: 'notes', id: 'c', preconditions: { ifMatch: '*' } },
    ]);
    expect(issues).toEqual([]);
    // Written back the way a client sends them.
    expect(operations.flatMap((op) => (op ? [formatOperation(op)] : []))[2]).toEqual({
      op: 'patch',
      collection: 'notes',
      id: 'p',
      patchFormat: 'json',
      patch: [],
      ifMatch: '"2", "3"',
      lockToken,
    });
  });

  it('answers 400 when the body is not a transaction, locating the problem', () => {
    expect(issuesOf(() => parseTransactionBody([]))).toEqual([
      { pointer: '', message: expect.any(String) },
    ]);
    expect(issuesOf(() => parseTransactionBody({ operations: 1 }))).toEqual([
      { pointer: '/operations', message: expect.any(String) },
    ]);
    expect(() => parseTransactionBody({ operations: [], other: 1 })).toThrow(BadRequestError);
  });

  it('lists the problems of every operation that cannot be read, leaving it out', () => {
    const { operations, issues } = parseTransactionBody({
      operations: [
        7,
        { op: 'move' },
        { op: 'create', collection: 1 },
        { op: 'patch', collection: 'n', id: 'x', patch: {}, patchFormat: 'xml', ifMatch: '3' },
        { op: 'check', collection: 'n', id: 'x', document: {}, lockToken: 'nope' },
      ],
    });
    expect(operations).toEqual([undefined, undefined, undefined, undefined, undefined]);
    expect(issues.map((i) => i.pointer)).toEqual([
      '/operations/0',
      '/operations/1/op',
      '/operations/2/collection',
      '/operations/2/document',
      '/operations/3/ifMatch',
      '/operations/3/patchFormat',
      '/operations/4/document',
      '/operations/4/lockToken',
    ]);
  });

  it('reads one staged operation with pointers into its own body', () => {
    const issues: ValidationIssue[] = [];
    expect(parseOperation({ op: 'delete', collection: 'n' }, '', issues)).toBeUndefined();
    expect(issues).toEqual([{ pointer: '/id', message: '"id" must be a string' }]);
  });
});

describe('formatResult', () => {
  it('answers each operation as its single request would: status, version, ETag, Location, document', () => {
    const item = viewOf({ id: 'a', version: 1, deleted: false, body: { n: 1 }, updatedAt: '' });
    expect(
      formatResult(
        { op: 'create', outcome: 'created', collection: 'notes', id: 'a', version: 1, item },
        0,
      ),
    ).toEqual({
      index: 0,
      op: 'create',
      status: 201,
      collection: 'notes',
      id: 'a',
      version: 1,
      etag: '"1"',
      location: '/v1/notes/a',
      document: { id: 'a', version: 1, n: 1 },
    });
    expect(
      formatResult(
        { op: 'delete', outcome: 'deleted', collection: 'notes', id: 'a', version: 4 },
        1,
      ),
    ).toEqual({
      index: 1,
      op: 'delete',
      status: 204,
      collection: 'notes',
      id: 'a',
      version: 4,
    });
    expect(
      formatResult(
        { op: 'check', outcome: 'checked', collection: 'notes', id: 'b', version: null },
        2,
      ),
    ).toEqual({
      index: 2,
      op: 'check',
      status: 200,
      collection: 'notes',
      id: 'b',
      version: null,
    });
  });
});
