import { describe, expect, it } from 'vitest';
import type { JsonObject, JsonValue } from '../../../functions/core/items-model';
import { threeWayMerge } from '../../../functions/core/merge';

describe('threeWayMerge', () => {
  it('combines changes to different fields, nested ones included', () => {
    const base = { a: 1, b: { c: 1, d: 1 }, gone: true };
    const theirs = { a: 2, b: { c: 1, d: 1 }, gone: true };
    const ours = { a: 1, b: { c: 1, d: 5 }, added: 'x' };
    expect(threeWayMerge(base, theirs, ours)).toEqual({
      merged: { a: 2, b: { c: 1, d: 5 }, added: 'x' },
      clashes: [],
      rules: [],
    });
  });

  it('reports a field both changed differently, with the three values', () => {
    const result = threeWayMerge({ s: 'new', n: 1 }, { s: 'paid', n: 1 }, { s: 'void', n: 2 });
    expect(result.clashes).toEqual([{ path: '/s', base: 'new', theirs: 'paid', ours: 'void' }]);
  });

  it('takes the same change made by both sides as no clash', () => {
    expect(threeWayMerge({ s: 1 }, { s: 2 }, { s: 2 }).clashes).toEqual([]);
  });

  it('treats a change inside an object the other side removed as a clash', () => {
    const result = threeWayMerge({ a: { b: 1 } }, {}, { a: { b: 2 } });
    expect(result.clashes).toEqual([{ path: '/a/b', base: 1, ours: 2 }]);
  });

  it('compares arrays as whole values', () => {
    const result = threeWayMerge({ l: [1] }, { l: [1, 2] }, { l: [1, 3] });
    expect(result.clashes.map((c) => c.path)).toEqual(['/l']);
  });

  it('escapes member names in paths', () => {
    const result = threeWayMerge({ 'a/b': 1 }, { 'a/b': 2 }, { 'a/b': 3 });
    expect(result.clashes[0]?.path).toBe('/a~1b');
  });

  it.each([
    ['counter', 10, 13, 11, 14],
    ['counter', undefined, 3, 1, 4],
    ['counter', 0, 1, 1, 2],
    ['append', [], ['a'], ['a'], ['a', 'a']],
    ['max', 1, 5, 7, 7],
    ['min', 9, 5, 7, 5],
    ['last-writer-wins', 'a', 'b', 'c', 'c'],
    ['server-wins', 'a', 'b', 'c', 'b'],
    ['union', ['a', 'b'], ['a', 'b', 'c'], ['b', 'd'], ['b', 'c', 'd']],
    ['append', [1], [1, 2], [1, 3], [1, 2, 3]],
  ] as const)('settles a clash with the %s rule', (rule, base, theirs, ours, result) => {
    const wrap = (v: unknown): JsonObject => (v === undefined ? {} : { f: v as JsonValue });
    const merged = threeWayMerge(wrap(base), wrap(theirs), wrap(ours), { '/f': rule });
    expect(merged.clashes).toEqual([]);
    expect(merged.merged.f).toEqual(result);
    expect(merged.rules).toEqual([{ path: '/f', rule, result }]);
  });

  it.each([
    ['counter', 1, 'x', 2],
    ['max', 1, 2, undefined],
    ['append', [1, 2], [1, 2, 3], [2, 4]],
    ['union', [1], 'x', [2]],
  ] as const)('reports a clash the %s rule cannot settle', (rule, base, theirs, ours) => {
    const wrap = (v: unknown): JsonObject => (v === undefined ? {} : { f: v as JsonValue });
    const merged = threeWayMerge(wrap(base), wrap(theirs), wrap(ours), { '/f': rule });
    expect(merged.clashes.map((c) => c.path)).toEqual(['/f']);
    expect(merged.rules).toEqual([]);
  });

  it('applies no rule when only one side changed the field', () => {
    const merged = threeWayMerge(
      { f: 1, g: 1 },
      { f: 1, g: 2 },
      { f: 5, g: 1 },
      { '/f': 'counter' },
    );
    expect(merged).toEqual({ merged: { f: 5, g: 2 }, clashes: [], rules: [] });
  });
});
