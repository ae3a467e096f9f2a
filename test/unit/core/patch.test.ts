import { describe, expect, it } from 'vitest';
import {
  BadRequestError,
  PatchTestFailedError,
  PayloadTooLargeError,
  ValidationError,
} from '../../../functions/core/errors';
import {
  type ItemView,
  type JsonObject,
  type JsonValue,
  viewOf,
} from '../../../functions/core/items-model';
import { MAX_DOCUMENT_BYTES } from '../../../functions/core/limits';
import {
  applyJsonPatch,
  applyMergePatch,
  applyPatch,
  checkPatch,
} from '../../../functions/core/patch';

const view: ItemView = viewOf({
  id: 'doc-1',
  version: 3,
  deleted: false,
  body: { title: 'Hello', tags: ['a', 'b'], nested: { x: 1 } },
  updatedAt: '2024-01-01T00:00:00.000Z',
});

const stored = (body: JsonObject) =>
  viewOf({ id: 'doc-1', version: 1, deleted: false, body, updatedAt: '2024-01-01T00:00:00.000Z' });

const caught = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
};

describe('applyMergePatch (RFC 7396 Appendix A)', () => {
  const examples: Array<[JsonValue, JsonValue, JsonValue]> = [
    [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
    [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
    [{ a: 'b' }, { a: null }, {}],
    [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
    [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
    [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
    [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
    [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
    [
      ['a', 'b'],
      ['c', 'd'],
      ['c', 'd'],
    ],
    [{ a: 'b' }, ['c'], ['c']],
    [{ a: 'foo' }, null, null],
    [{ a: 'foo' }, 'bar', 'bar'],
    [{ e: null }, { a: 1 }, { e: null, a: 1 }],
    [[1, 2], { a: 'b', c: null }, { a: 'b' }],
    [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
  ];

  it.each(examples)('merges %j with %j into %j', (target, patch, result) => {
    expect(applyMergePatch(target, patch)).toEqual(result);
  });

  it('does not change the target', () => {
    const target = { a: { b: 'c' } };
    applyMergePatch(target, { a: { b: 'd' } });
    expect(target).toEqual({ a: { b: 'c' } });
  });

  it('keeps a __proto__ key as an ordinary field and leaves Object.prototype alone', () => {
    const patch = JSON.parse('{"__proto__":{"polluted":true},"a":1}') as JsonValue;
    const result = applyMergePatch({ b: 2 }, patch) as Record<string, unknown>;
    expect(Object.getPrototypeOf(result)).toBe(Object.prototype);
    expect(Object.hasOwn(result, '__proto__')).toBe(true);
    expect(Object.getOwnPropertyDescriptor(result, '__proto__')?.value).toEqual({
      polluted: true,
    });
    expect(JSON.stringify(result)).toBe('{"b":2,"__proto__":{"polluted":true},"a":1}');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});

describe('checkPatch', () => {
  it('accepts any merge patch', () => {
    expect(() => checkPatch({ format: 'merge', value: 'x' })).not.toThrow();
  });

  it('refuses a JSON Patch that is not an array', () => {
    expect(() => checkPatch({ format: 'json', value: { op: 'add' } })).toThrow(BadRequestError);
  });

  it('refuses an unknown op', () => {
    expect(() => checkPatch({ format: 'json', value: [{ op: 'merge', path: '/a' }] })).toThrow(
      BadRequestError,
    );
    expect(() => checkPatch({ format: 'json', value: [{ path: '/a' }] })).toThrow(BadRequestError);
  });

  it('refuses an operation without a path', () => {
    expect(() => checkPatch({ format: 'json', value: [{ op: 'remove' }] })).toThrow(
      BadRequestError,
    );
  });

  it('refuses more than 1000 operations', () => {
    const ops = (n: number) =>
      Array.from({ length: n }, () => ({ op: 'test', path: '/id', value: 'doc-1' }));
    expect(() => checkPatch({ format: 'json', value: ops(1000) })).not.toThrow();
    expect(() => checkPatch({ format: 'json', value: ops(1001) })).toThrow(BadRequestError);
  });
});

describe('applyJsonPatch', () => {
  it('applies operations to the representation, id and version included', () => {
    const result = applyJsonPatch(view, [
      { op: 'test', path: '/version', value: 3 },
      { op: 'replace', path: '/title', value: 'Bye' },
      { op: 'add', path: '/tags/-', value: 'c' },
      { op: 'remove', path: '/nested' },
    ]);
    expect(result).toEqual({ id: 'doc-1', version: 3, title: 'Bye', tags: ['a', 'b', 'c'] });
    expect(view.document.title).toBe('Hello');
  });

  it('turns a failed test into PatchTestFailedError with the pointer and current state', () => {
    const error = caught(() =>
      applyJsonPatch(view, [
        { op: 'add', path: '/x', value: 1 },
        { op: 'test', path: '/version', value: 2 },
      ]),
    );
    expect(error).toBeInstanceOf(PatchTestFailedError);
    expect((error as PatchTestFailedError).pointer).toBe('/version');
    expect((error as PatchTestFailedError).current).toBe(view);
    expect((error as PatchTestFailedError).message).toBe('test operation 1 failed at "/version"');
  });

  it('turns an unknown op into BadRequestError', () => {
    expect(() => applyJsonPatch(view, [{ op: 'frobnicate', path: '/a' }])).toThrow(BadRequestError);
  });

  it('turns a path that does not resolve into ValidationError with its pointer', () => {
    const error = caught(() =>
      applyJsonPatch(view, [
        { op: 'test', path: '/id', value: 'doc-1' },
        { op: 'replace', path: '/missing/deeper', value: 1 },
      ]),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors.map((e) => e.pointer)).toEqual(['/missing/deeper']);
  });

  it('names a removal of a missing member as an unresolvable path', () => {
    const error = caught(() => applyJsonPatch(view, [{ op: 'remove', path: '/missing' }]));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toEqual([
      { pointer: '/missing', message: 'operation 0: operation path unresolvable' },
    ]);
  });

  // fast-json-patch's validator always reports index 0, and describePatchError trusts it.
  it('names the index of the operation whose path does not resolve', () => {
    const error = caught(() =>
      applyJsonPatch(view, [
        { op: 'test', path: '/id', value: 'doc-1' },
        { op: 'replace', path: '/missing/deeper', value: 1 },
      ]),
    );
    expect((error as ValidationError).errors).toEqual([
      { pointer: '/missing/deeper', message: 'operation 1: operation path unresolvable' },
    ]);
  });

  it('refuses a __proto__ path as a ValidationError without touching Object.prototype', () => {
    const error = caught(() =>
      applyJsonPatch(view, [{ op: 'add', path: '/__proto__/polluted', value: true }]),
    );
    expect(error).toBeInstanceOf(ValidationError);
    expect(Object.prototype).not.toHaveProperty('polluted');
  });
});

describe('applyJsonPatch bounds', () => {
  const rootCopies = (n: number): JsonValue =>
    Array.from({ length: n }, (_, i) => ({ op: 'copy', from: '', path: `/x${i}` }));

  it('stops root copies that double the document with 413, before the document grows past the limit', () => {
    const error = caught(() => applyJsonPatch(view, rootCopies(24)));
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect((error as PayloadTooLargeError).limitBytes).toBe(MAX_DOCUMENT_BYTES);
    expect((error as Error).message).toMatch(/^operation \d+ would make the document larger/);
  });

  it('stops copies of one large member into many paths with 413', () => {
    const big = stored({ big: 'x'.repeat(100_000) });
    const ops = Array.from({ length: 10 }, (_, i) => ({
      op: 'copy',
      from: '/big',
      path: `/c${i}`,
    }));
    expect(caught(() => applyJsonPatch(big, ops))).toBeInstanceOf(PayloadTooLargeError);
  });

  it('refuses a copy that would not fit beside its source, even when a later remove would shrink it back', () => {
    const big = stored({ big: 'x'.repeat(300_000) });
    const ops: JsonValue = Array.from(
      { length: 400 },
      (_, i): JsonValue =>
        i % 2 === 0 ? { op: 'copy', from: '/big', path: '/tmp' } : { op: 'remove', path: '/tmp' },
    );
    const error = caught(() => applyJsonPatch(big, ops));
    expect(error).toBeInstanceOf(PayloadTooLargeError);
  });

  it('refuses a patch whose copies add up past the work bound with 422', () => {
    const mid = stored({ mid: 'x'.repeat(20_000) });
    const ops: JsonValue = Array.from(
      { length: 600 },
      (_, i): JsonValue =>
        i % 2 === 0 ? { op: 'copy', from: '/mid', path: '/tmp' } : { op: 'remove', path: '/tmp' },
    );
    const error = caught(() => applyJsonPatch(mid, ops));
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors[0]?.message).toMatch(/copy more than/);
  });

  it('still applies copies whose result fits', () => {
    const result = applyJsonPatch(view, rootCopies(3)) as Record<string, unknown>;
    expect(Object.keys(result)).toEqual(expect.arrayContaining(['x0', 'x1', 'x2']));
    expect(JSON.stringify(result).length).toBeLessThan(MAX_DOCUMENT_BYTES);
  });

  it('leaves the representation it was given unchanged', () => {
    const before = JSON.stringify(view.document);
    applyJsonPatch(view, [{ op: 'add', path: '/title', value: 'changed' }]);
    expect(JSON.stringify(view.document)).toBe(before);
  });
});

describe('applyPatch', () => {
  it('merges into the representation for the merge format', () => {
    expect(applyPatch(view, { format: 'merge', value: { title: null, extra: true } })).toEqual({
      id: 'doc-1',
      version: 3,
      tags: ['a', 'b'],
      nested: { x: 1 },
      extra: true,
    });
  });
});
