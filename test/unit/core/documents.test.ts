import { describe, expect, it } from 'vitest';
import {
  findDocumentIssues,
  findJsonIssues,
  findRequestIssues,
  toStoredBody,
  utf8Length,
} from '../../../functions/core/documents';
import { PayloadTooLargeError, ValidationError } from '../../../functions/core/errors';
import { MAX_DEPTH, MAX_DOCUMENT_BYTES } from '../../../functions/core/limits';

/** An object nested `levels` deep, built without recursion. */
const nestedObject = (levels: number): Record<string, unknown> => {
  let value: Record<string, unknown> = {};
  for (let i = 1; i < levels; i++) value = { a: value };
  return value;
};

describe('findJsonIssues', () => {
  it('accepts nesting up to the limit', () => {
    expect(MAX_DEPTH).toBe(32);
    expect(findJsonIssues(nestedObject(32))).toEqual([]);
  });

  it('reports the first level past the limit with its pointer', () => {
    expect(findJsonIssues(nestedObject(33))).toEqual([
      { pointer: `/a`.repeat(32), message: 'nesting deeper than 32 levels' },
    ]);
  });

  it('walks a 100,000-deep array without exhausting the stack', () => {
    let deep: unknown[] = [];
    for (let i = 0; i < 100_000; i++) deep = [deep];
    let issues: ReturnType<typeof findJsonIssues> = [];
    expect(() => {
      issues = findJsonIssues(deep);
    }).not.toThrow();
    expect(issues).toEqual([
      { pointer: '/0'.repeat(32), message: 'nesting deeper than 32 levels' },
    ]);
  });

  it('reports non-finite numbers by pointer', () => {
    const issues = findJsonIssues({ a: Number.NaN, b: [1, Number.POSITIVE_INFINITY], c: -0 });
    expect(issues).toHaveLength(2);
    expect(issues).toEqual(
      expect.arrayContaining([
        { pointer: '/a', message: 'numbers must be finite' },
        { pointer: '/b/1', message: 'numbers must be finite' },
      ]),
    );
  });

  it('escapes ~ and / in pointers', () => {
    expect(findJsonIssues({ 'a/b': { 'c~d': Number.NaN } })).toEqual([
      { pointer: '/a~1b/c~0d', message: 'numbers must be finite' },
    ]);
  });

  it('stops at 20 issues', () => {
    const many = Object.fromEntries(Array.from({ length: 50 }, (_, i) => [`k${i}`, Number.NaN]));
    expect(findJsonIssues(many)).toHaveLength(20);
  });
});

describe('findRequestIssues', () => {
  it('reports what findJsonIssues reports', () => {
    const bad = { a: [1, Number.NaN], b: nestedObject(40) };
    expect(findRequestIssues(bad)).toEqual(findJsonIssues(bad));
    expect(findRequestIssues(nestedObject(32))).toEqual([]);
  });

  it('lets a clean request value become a document without losing any check', () => {
    const value = { title: 't', nested: nestedObject(31) };
    expect(findRequestIssues(value)).toEqual([]);
    expect(toStoredBody(value)).toEqual(value);
    // A value that never went through the request check is still checked in full.
    expect(findDocumentIssues({ nested: nestedObject(32) })).toEqual([
      { pointer: `/nested${'/a'.repeat(31)}`, message: 'nesting deeper than 32 levels' },
    ]);
  });

  it('remembers nothing about a value with issues', () => {
    const value = { n: Number.NaN };
    expect(findRequestIssues(value)).toHaveLength(1);
    expect(findDocumentIssues(value)).toEqual([
      { pointer: '/n', message: 'numbers must be finite' },
    ]);
  });
});

describe('findDocumentIssues', () => {
  it.each([[[]], ['text'], [null], [3]])('refuses %j as a document', (value) => {
    expect(findDocumentIssues(value)).toEqual([
      { pointer: '', message: 'a document must be a JSON object' },
    ]);
  });
});

describe('utf8Length', () => {
  it.each(['', 'abc', 'é', '€', '😀', 'aé€😀', '\u{10ffff}x'])(
    'counts %j as Buffer does',
    (text) => {
      expect(utf8Length(text)).toBe(Buffer.byteLength(text, 'utf8'));
    },
  );
});

describe('toStoredBody', () => {
  it('strips the server-managed id and version', () => {
    const input = { id: 'x', version: 4, title: 't' };
    expect(toStoredBody(input)).toEqual({ title: 't' });
    expect(input).toEqual({ id: 'x', version: 4, title: 't' });
  });

  it('refuses a non-object with ValidationError', () => {
    expect(() => toStoredBody([1])).toThrow(ValidationError);
  });

  it('refuses a document with non-finite numbers', () => {
    try {
      toStoredBody({ n: Number.NaN });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(ValidationError);
      expect((error as ValidationError).errors).toEqual([
        { pointer: '/n', message: 'numbers must be finite' },
      ]);
    }
  });

  it('counts UTF-8 bytes, not characters, against the size limit', () => {
    const overhead = '{"s":""}'.length;
    const fitsInChars = '€'.repeat(Math.floor((MAX_DOCUMENT_BYTES - overhead) / 3));
    expect(() => toStoredBody({ s: fitsInChars })).not.toThrow();
    const tooBig = `${fitsInChars}€`;
    expect(tooBig.length).toBeLessThan(MAX_DOCUMENT_BYTES);
    try {
      toStoredBody({ s: tooBig });
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(PayloadTooLargeError);
      expect((error as PayloadTooLargeError).limitBytes).toBe(350_000);
      expect((error as PayloadTooLargeError).message).toBe(
        `the document is ${overhead + 3 * tooBig.length} bytes; the limit is 350000`,
      );
    }
  });

  it('measures the body without id and version', () => {
    const s = 'a'.repeat(MAX_DOCUMENT_BYTES - '{"s":""}'.length);
    expect(() => toStoredBody({ id: 'some-id', version: 12, s })).not.toThrow();
    expect(() => toStoredBody({ s: `${s}a` })).toThrow(PayloadTooLargeError);
  });
});
