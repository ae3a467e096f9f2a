/**
 * The JSON of a representation, made from its body's text, is byte for byte
 * what `JSON.stringify` writes for it.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { toStoredBody } from '../../../functions/core/documents';
import {
  type JsonObject,
  representationText,
  type StoredItem,
  viewOf,
  viewText,
} from '../../../functions/core/items-model';
import { toStoredItem } from '../../../functions/store/records';

afterEach(() => {
  vi.restoreAllMocks();
});

const stored = (body: JsonObject): StoredItem => ({
  id: 'doc-1',
  version: 7,
  deleted: false,
  body,
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('representationText', () => {
  it.each([
    ['an empty body', {}],
    ['nested values', { a: { b: [1, 2.5, null, true, 'x'] }, c: '' }],
    ['escapes and non-ASCII text', { s: 'tab\t"quote" \\ é 😀 \u2028', '\u0000k': 1 }],
    ['array-index keys, which objects list first', { b: 1, 2: 'two', 10: 'ten', a: 0 }],
    ['a key that only looks like an index', { b: 1, '01': 'x', '4294967296': 'y' }],
    ['__proto__ as an ordinary key', JSON.parse('{"__proto__":{"x":1},"a":2}') as JsonObject],
  ])('matches JSON.stringify for %s', (_, value) => {
    const view = viewOf(stored(toStoredBody(value)));
    expect(representationText(view.document)).toBe(JSON.stringify(view.document));
  });

  it('matches JSON.stringify for a body read from the table', () => {
    const record = { id: 'doc-1', version: 3, state: 'live', updatedAt: 'x' };
    const text = JSON.stringify({ title: 'Ünïcode', list: [{ n: 1 }] });
    const view = viewOf(toStoredItem({ ...record, body: text }));
    expect(representationText(view.document)).toBe(JSON.stringify(view.document));
  });

  it('does not serialize the body again when its text is known', () => {
    const body = toStoredBody({ lines: Array.from({ length: 50 }, (_, i) => ({ i })) });
    const view = viewOf(stored(body));
    const stringify = vi.spyOn(JSON, 'stringify');
    representationText(view.document);
    expect(stringify.mock.calls.some(([value]) => value === body || value === view.document)).toBe(
      false,
    );
  });

  it('serializes a document it did not make as JSON.stringify does', () => {
    const document = { id: 'x', version: 1, a: [1] };
    expect(representationText(document)).toBe(JSON.stringify(document));
  });
});

describe('viewText', () => {
  const record = { id: 'doc-1', version: 3, state: 'live', updatedAt: 'x' };

  it.each([
    ['a body read from the table', { title: 'Ünïcode', list: [{ n: 1 }] }],
    ['an empty body read from the table', {}],
    ['a body with array-index keys', { b: 1, 7: 'seven' }],
  ])('matches JSON.stringify of the representation for %s', (_, body) => {
    const view = viewOf(toStoredItem({ ...record, body: JSON.stringify(body) }));
    const text = viewText(view);
    expect(text).toBe(JSON.stringify(view.document));
  });

  it('answers a read without parsing the stored body', () => {
    const stored = JSON.stringify({ lines: Array.from({ length: 50 }, (_, i) => ({ i })) });
    const parse = vi.spyOn(JSON, 'parse');
    const view = viewOf(toStoredItem({ ...record, body: stored }));
    const text = viewText(view);
    expect(parse).not.toHaveBeenCalled();
    parse.mockRestore();
    expect(JSON.parse(text)).toEqual({ id: 'doc-1', version: 3, ...JSON.parse(stored) });
  });

  it('matches JSON.stringify for a view of a body just written', () => {
    const view = viewOf(stored(toStoredBody({ a: 1, nested: { b: [true] } })));
    expect(viewText(view)).toBe(JSON.stringify(view.document));
  });
});
