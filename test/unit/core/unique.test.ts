import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/core/config';
import { UniqueViolationError } from '../../../functions/core/errors';
import { createItemService } from '../../../functions/core/items';
import { canonicalJson, uniqueParts, valueHash } from '../../../functions/core/unique';
import { createMemoryItemStore } from '../../helpers/memory-item-store';

const T = 'tenant-a';
const KEY = { tenant: T, collection: 'people', id: 'p1' };
const tag = (version: number) => ({ ifMatch: [{ weak: false, opaque: String(version) }] });

describe('canonicalJson', () => {
  it('writes equal values alike, whatever the order of their keys', () => {
    expect(canonicalJson({ b: [1, { d: 1, c: 2 }], a: 'x' })).toBe(
      canonicalJson({ a: 'x', b: [1, { c: 2, d: 1 }] }),
    );
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
    expect(valueHash('1')).not.toBe(valueHash(1));
    expect(valueHash('x')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('uniqueParts', () => {
  const hash = valueHash;

  it('claims new values, releases old ones and leaves unchanged ones alone', () => {
    expect(
      uniqueParts(
        KEY,
        ['email', 'badge', 'nick'],
        { email: 'a', badge: 1, nick: 'n' },
        {
          email: 'b',
          badge: 1,
        },
      ),
    ).toEqual([
      { kind: 'unique-claim', key: KEY, field: 'email', valueHash: hash('b') },
      { kind: 'unique-release', key: KEY, field: 'email', valueHash: hash('a') },
      { kind: 'unique-release', key: KEY, field: 'nick', valueHash: hash('n') },
    ]);
  });

  it('claims everything on a create, releases everything on a delete, nothing for null', () => {
    expect(uniqueParts(KEY, ['email'], undefined, { email: 'a' })).toHaveLength(1);
    expect(uniqueParts(KEY, ['email'], { email: 'a' }, null)).toEqual([
      { kind: 'unique-release', key: KEY, field: 'email', valueHash: hash('a') },
    ]);
    expect(uniqueParts(KEY, ['email'], { email: null }, { email: null })).toEqual([]);
    expect(uniqueParts(KEY, ['email'], { email: 'a' }, null, new Set(['email']))).toEqual([]);
  });
});

describe('unique fields on the commit path', () => {
  const config = parseConfig({ collections: [{ name: 'people', unique: ['email'] }] });
  const plain = parseConfig({ collections: [{ name: 'people' }] });

  it('costs a create nothing extra, and a replace or delete one read of the old values', async () => {
    const store = createMemoryItemStore();
    const items = createItemService({ config, store });
    await items.create(T, 'people', { id: 'p1', email: 'a' });
    expect([store.reads(), store.commits()]).toEqual([0, 1]);
    await items.replace(T, 'people', 'p1', { email: 'b' }, tag(1));
    await items.remove(T, 'people', 'p1', tag(2));
    expect([store.reads(), store.commits()]).toEqual([2, 3]);
  });

  it('costs a collection without unique fields no read on a pinned write', async () => {
    const store = createMemoryItemStore();
    const items = createItemService({ config: plain, store });
    await items.create(T, 'people', { id: 'p1', email: 'a' });
    await items.replace(T, 'people', 'p1', { email: 'b' }, tag(1));
    expect(store.reads()).toBe(0);
  });

  it('leaves alone an old value another document holds, written before the field was unique', async () => {
    const store = createMemoryItemStore();
    const before = createItemService({ config: plain, store });
    await before.create(T, 'people', { id: 'old-1', email: 'dup' });
    await before.create(T, 'people', { id: 'old-2', email: 'dup' });
    const items = createItemService({ config, store });
    // The first claim of "dup" since the field became unique.
    await items.create(T, 'people', { id: 'new', email: 'other' });
    await items.replace(T, 'people', 'new', { email: 'dup' }, tag(1));
    // old-1 held "dup" without a guard; changing it must not take the guard from "new".
    await items.replace(T, 'people', 'old-1', { email: 'mine' }, tag(1));
    await expect(items.create(T, 'people', { id: 'x', email: 'dup' })).rejects.toMatchObject({
      field: 'email',
      ownerId: 'new',
    });
    await expect(items.create(T, 'people', { id: 'y', email: 'mine' })).rejects.toBeInstanceOf(
      UniqueViolationError,
    );
  });
});
