import fc from 'fast-check';
import reference from 'fast-json-patch';
import { describe, expect, it } from 'vitest';
import type { JsonValue } from '../../../functions/core/items-model';
import {
  applyOperation,
  JsonPatchError,
  type PatchOperation,
  parsePointer,
} from '../../../functions/core/json-patch';

const apply = (document: JsonValue, operations: readonly PatchOperation[]): JsonValue => {
  let current = structuredClone(document);
  operations.forEach((op, index) => {
    current = applyOperation(current, op, index);
  });
  return current;
};

const failureOf = (document: JsonValue, operations: readonly PatchOperation[]) => {
  try {
    apply(document, operations);
  } catch (error) {
    if (error instanceof JsonPatchError) return { failure: error.failure, index: error.index };
    throw error;
  }
  return undefined;
};

// RFC 6902, Appendix A.
describe('JSON Patch, the examples of RFC 6902', () => {
  it.each<[string, JsonValue, PatchOperation[], JsonValue]>([
    [
      'A.1 adding an object member',
      { foo: 'bar' },
      [{ op: 'add', path: '/baz', value: 'qux' }],
      { baz: 'qux', foo: 'bar' },
    ],
    [
      'A.2 adding an array element',
      { foo: ['bar', 'baz'] },
      [{ op: 'add', path: '/foo/1', value: 'qux' }],
      { foo: ['bar', 'qux', 'baz'] },
    ],
    [
      'A.3 removing an object member',
      { baz: 'qux', foo: 'bar' },
      [{ op: 'remove', path: '/baz' }],
      { foo: 'bar' },
    ],
    [
      'A.4 removing an array element',
      { foo: ['bar', 'qux', 'baz'] },
      [{ op: 'remove', path: '/foo/1' }],
      { foo: ['bar', 'baz'] },
    ],
    [
      'A.5 replacing a value',
      { baz: 'qux', foo: 'bar' },
      [{ op: 'replace', path: '/baz', value: 'boo' }],
      { baz: 'boo', foo: 'bar' },
    ],
    [
      'A.6 moving a value',
      { foo: { bar: 'baz', waldo: 'fred' }, qux: { corge: 'grault' } },
      [{ op: 'move', from: '/foo/waldo', path: '/qux/thud' }],
      { foo: { bar: 'baz' }, qux: { corge: 'grault', thud: 'fred' } },
    ],
    [
      'A.7 moving an array element',
      { foo: ['all', 'grass', 'cows', 'eat'] },
      [{ op: 'move', from: '/foo/1', path: '/foo/3' }],
      { foo: ['all', 'cows', 'eat', 'grass'] },
    ],
    [
      'A.8 testing a value: success',
      { baz: 'qux', foo: ['a', 2, 'c'] },
      [
        { op: 'test', path: '/baz', value: 'qux' },
        { op: 'test', path: '/foo/1', value: 2 },
      ],
      { baz: 'qux', foo: ['a', 2, 'c'] },
    ],
    [
      'A.10 adding a nested member object',
      { foo: 'bar' },
      [{ op: 'add', path: '/child', value: { grandchild: {} } }],
      { foo: 'bar', child: { grandchild: {} } },
    ],
    [
      'A.11 ignoring unrecognized elements',
      { foo: 'bar' },
      [{ op: 'add', path: '/baz', value: 'qux', xyz: 123 } as PatchOperation],
      { foo: 'bar', baz: 'qux' },
    ],
    [
      'A.14 ~ escape ordering',
      { '/': 9, '~1': 10 },
      [{ op: 'test', path: '/~01', value: 10 }],
      { '/': 9, '~1': 10 },
    ],
    [
      'A.16 adding an array value',
      { foo: ['bar'] },
      [{ op: 'add', path: '/foo/-', value: ['abc', 'def'] }],
      { foo: ['bar', ['abc', 'def']] },
    ],
  ])('%s', (_, document, operations, expected) => {
    expect(apply(document, operations)).toEqual(expected);
  });

  it.each<[string, JsonValue, PatchOperation[], string]>([
    [
      'A.9 testing a value: error',
      { baz: 'qux' },
      [{ op: 'test', path: '/baz', value: 'bar' }],
      'TEST_OPERATION_FAILED',
    ],
    [
      'A.12 adding to a nonexistent target',
      { foo: 'bar' },
      [{ op: 'add', path: '/baz/bat', value: 'qux' }],
      'OPERATION_PATH_CANNOT_ADD',
    ],
    [
      'A.15 comparing strings and numbers',
      { '/': 9, '~1': 10 },
      [{ op: 'test', path: '/~01', value: '10' }],
      'TEST_OPERATION_FAILED',
    ],
  ])('%s', (_, document, operations, failure) => {
    expect(failureOf(document, operations)?.failure).toBe(failure);
  });
});

describe('JSON Patch, the rules of RFC 6901 and 6902', () => {
  it('refuses an index with leading zeros, past the end, or "-" outside an add', () => {
    const doc = { a: [1, 2] };
    expect(failureOf(doc, [{ op: 'replace', path: '/a/01', value: 0 }])?.failure).toBe(
      'OPERATION_PATH_UNRESOLVABLE',
    );
    expect(failureOf(doc, [{ op: 'add', path: '/a/01', value: 0 }])?.failure).toBe(
      'OPERATION_PATH_ILLEGAL_ARRAY_INDEX',
    );
    expect(failureOf(doc, [{ op: 'add', path: '/a/3', value: 0 }])?.failure).toBe(
      'OPERATION_VALUE_OUT_OF_BOUNDS',
    );
    expect(apply(doc, [{ op: 'add', path: '/a/2', value: 0 }])).toEqual({ a: [1, 2, 0] });
    expect(failureOf(doc, [{ op: 'remove', path: '/a/-' }])?.failure).toBe(
      'OPERATION_PATH_UNRESOLVABLE',
    );
  });

  it('refuses pointers that are none: no leading slash, a bare ~, a __proto__ token', () => {
    expect(parsePointer('a/b')).toBeUndefined();
    expect(parsePointer('/a~2')).toBeUndefined();
    expect(parsePointer('/a/__proto__')).toBeUndefined();
    expect(parsePointer('/a~1b/~0')).toEqual(['a/b', '~']);
    expect(failureOf({}, [{ op: 'add', path: '/__proto__/x', value: 1 }])?.failure).toBe(
      'OPERATION_PATH_INVALID',
    );
    expect(Object.prototype).not.toHaveProperty('x');
  });

  it('reads members of objects as their own: constructor and toString are ordinary keys', () => {
    expect(failureOf({}, [{ op: 'remove', path: '/constructor' }])?.failure).toBe(
      'OPERATION_PATH_UNRESOLVABLE',
    );
    expect(failureOf({}, [{ op: 'test', path: '/toString', value: null }])?.failure).toBe(
      'TEST_OPERATION_FAILED',
    );
    expect(apply({}, [{ op: 'add', path: '/constructor', value: 1 }])).toEqual({ constructor: 1 });
  });

  it('refuses to move a location into one of its children, and moves onto itself as nothing', () => {
    expect(failureOf({ a: { b: 1 } }, [{ op: 'move', from: '/a', path: '/a/c' }])?.failure).toBe(
      'OPERATION_MOVE_INTO_ITSELF',
    );
    expect(apply({ a: 1 }, [{ op: 'move', from: '/a', path: '/a' }])).toEqual({ a: 1 });
  });

  it('needs a value for add, replace and test, and a from for move and copy', () => {
    expect(failureOf({}, [{ op: 'add', path: '/a' }])?.failure).toBe('OPERATION_VALUE_REQUIRED');
    expect(failureOf({}, [{ op: 'copy', path: '/a' }])?.failure).toBe('OPERATION_FROM_REQUIRED');
    expect(failureOf({}, [{ op: 'move', path: '/a', from: '/b' }])?.failure).toBe(
      'OPERATION_FROM_UNRESOLVABLE',
    );
  });

  it('tests equality of JSON values, member order aside', () => {
    const doc = { a: { x: 1, y: [1, { z: null }] } };
    expect(apply(doc, [{ op: 'test', path: '/a', value: { y: [1, { z: null }], x: 1 } }])).toEqual(
      doc,
    );
    expect(failureOf(doc, [{ op: 'test', path: '/a', value: { x: 1 } }])?.failure).toBe(
      'TEST_OPERATION_FAILED',
    );
  });

  it('never changes the patch it applies: added and copied values are copies', () => {
    const value = { list: [1] };
    const operations: PatchOperation[] = [
      { op: 'add', path: '/a', value },
      { op: 'add', path: '/a/list/-', value: 2 },
      { op: 'copy', from: '/a', path: '/b' },
      { op: 'add', path: '/b/list/-', value: 3 },
    ];
    expect(apply({}, operations)).toEqual({ a: { list: [1, 2] }, b: { list: [1, 2, 3] } });
    expect(value).toEqual({ list: [1] });
  });

  it('replaces a member where it stands, keeping the order of the others', () => {
    const result = apply({ a: 1, b: 2, c: 3 }, [{ op: 'replace', path: '/b', value: 9 }]);
    expect(JSON.stringify(result)).toBe('{"a":1,"b":9,"c":3}');
  });
});

/** Keys without the spots where the reference library departs from RFC 6901 (prototype keys, `~`). */
const key = fc.constantFrom('a', 'b', 'c', 'list', 'x/y', '-', '0', '1');
const leaf = fc.oneof(fc.integer({ min: -3, max: 3 }), fc.constantFrom('s', 't', true, null));
const json: fc.Arbitrary<JsonValue> = fc.letrec<{ value: JsonValue }>((tie) => ({
  value: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    leaf,
    fc.array(tie('value'), { maxLength: 3 }),
    fc.dictionary(key, tie('value'), { maxKeys: 3 }),
  ),
})).value;
const pointer = fc
  .array(fc.oneof(key, fc.constantFrom('2', '-')), { minLength: 1, maxLength: 3 })
  .map((tokens) => tokens.map((t) => `/${t.replaceAll('~', '~0').replaceAll('/', '~1')}`).join(''));
const operation: fc.Arbitrary<PatchOperation> = fc.oneof(
  fc.record({ op: fc.constant('add' as const), path: pointer, value: json }),
  fc.record({ op: fc.constant('remove' as const), path: pointer }),
  fc.record({ op: fc.constant('replace' as const), path: pointer, value: json }),
  fc.record({ op: fc.constant('test' as const), path: pointer, value: json }),
  fc.record({ op: fc.constant('copy' as const), path: pointer, from: pointer }),
  fc.record({ op: fc.constant('move' as const), path: pointer, from: pointer }),
);

/** Where the reference library is looser than the RFCs, the two are not compared. */
const looseInReference = (op: PatchOperation): boolean => {
  const from = typeof op.from === 'string' ? op.from : undefined;
  // It moves a location into its own child; it lets remove/replace name "-" or an index past the end.
  return (
    (op.op === 'move' &&
      from !== undefined &&
      (op.path.startsWith(`${from}/`) || op.path === from)) ||
    /\/-(\/|$)/.test(op.path) ||
    (from !== undefined && /\/-(\/|$)/.test(from))
  );
};

/**
 * The reference's result on copies of the document and the operations: it
 * inserts an operation's value itself, so a later operation would change the
 * patch (and fast-check's generated values, which it shrinks) otherwise.
 */
const referenceResult = (document: JsonValue, operations: PatchOperation[]) => {
  try {
    const patch = structuredClone(operations) as never;
    return {
      ok: reference.applyPatch(structuredClone(document), patch, true, true, true)
        .newDocument as JsonValue,
    };
  } catch {
    return { failed: true };
  }
};

describe('JSON Patch against fast-json-patch', () => {
  it('applies and refuses as the reference library does where both follow the RFC', () => {
    fc.assert(
      fc.property(
        fc.dictionary(key, json, { maxKeys: 4 }),
        fc.array(operation, { maxLength: 4 }),
        (document, operations) => {
          fc.pre(!operations.some(looseInReference));
          const expected = referenceResult(document, operations);
          let actual: { ok: JsonValue } | { failed: true };
          try {
            actual = { ok: apply(document, operations) };
          } catch (error) {
            if (!(error instanceof JsonPatchError)) throw error;
            // The reference adds the value of a copy or move without checking where it
            // goes, so it takes an array index past the end or one that is no number.
            const op = operations[error.index];
            fc.pre(
              !(
                (op?.op === 'copy' || op?.op === 'move') &&
                (error.failure === 'OPERATION_VALUE_OUT_OF_BOUNDS' ||
                  error.failure === 'OPERATION_PATH_ILLEGAL_ARRAY_INDEX')
              ),
            );
            actual = { failed: true };
          }
          expect(actual).toEqual(expected);
        },
      ),
      { numRuns: 2000 },
    );
  });
});
