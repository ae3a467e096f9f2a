import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/core/config';
import { MergeClashError } from '../../../functions/core/errors';
import { createItemService } from '../../../functions/core/items';
import type { ItemStore } from '../../../functions/core/items-model';
import type { Preconditions } from '../../../functions/core/preconditions';
import { createMemoryItemStore } from '../../helpers/memory-item-store';

const T = 'tenant-a';
const config = parseConfig({
  collections: [
    { name: 'notes', conflictPolicy: 'merge', fields: { '/n': 'counter' } },
    { name: 'plain' },
  ],
});
const ifMatch = (version: number): Preconditions => ({
  ifMatch: [{ weak: false, opaque: String(version) }],
});
const merge = (value: object) => ({ format: 'merge' as const, value: value as never });
const key = (id: string) => ({ tenant: T, collection: 'notes', id });

/** A service over a memory store whose first `racing` commits let another writer in first. */
const setup = (racing = 0) => {
  const store = createMemoryItemStore();
  let raced = 0;
  const commits: string[] = [];
  const racy: ItemStore = {
    ...store,
    async commit(plan) {
      const doc = plan.parts.find((p) => p.kind === 'document');
      if (doc?.kind === 'document' && raced < racing && commits.length > 0) {
        raced++;
        const current = store.records().find((r) => r.id === doc.key.id);
        store.seed(doc.key, { ...current?.body, [`other${raced}`]: true });
      }
      commits.push(plan.parts.map((p) => p.kind).join('+'));
      return store.commit(plan);
    },
  };
  const items = createItemService({ config, store: racy, now: Date.now });
  return { items, store, commits };
};

describe('a stale write under the merge policy', () => {
  it('merges again on the newer version when a writer races it, losing nothing', async () => {
    const { items, store } = setup(2);
    await items.replace(T, 'notes', 'a', { n: 1, s: 'x' }, { ifNoneMatch: '*' });
    await items.patch(T, 'notes', 'a', merge({ s: 'y' }), ifMatch(1));
    const readsBefore = store.reads();
    const result = await items.patch(T, 'notes', 'a', merge({ n: 2 }), ifMatch(1));
    expect(result.item.document).toEqual({
      id: 'a',
      version: 5,
      n: 2,
      s: 'y',
      other1: true,
      other2: true,
    });
    expect(result.report).toMatchObject({ outcome: 'merged', base: 1, current: 4 });
    // This service wrote the base and the document it read last, so it knows
    // them without a read; each lost race costs only a write.
    expect(store.reads() - readsBefore).toBe(0);
    expect(store.historyOf(key('a'))).toContain(5);
  });

  it('merges a write that was current when read and lost its race, without reading again', async () => {
    const { items, store } = setup(1);
    await items.replace(T, 'notes', 'd', { n: 1 }, { ifNoneMatch: '*' });
    const readsBefore = store.reads();
    const result = await items.patch(T, 'notes', 'd', merge({ s: 'mine' }), ifMatch(1));
    expect(result.item.document).toEqual({ id: 'd', version: 3, n: 1, other1: true, s: 'mine' });
    expect(result.report).toMatchObject({ outcome: 'merged', base: 1, current: 2 });
    // Version 1 is known here (this service wrote it): no read before or after the lost race.
    expect(store.reads() - readsBefore).toBe(0);
  });

  it('counts a counter field from the base, whoever wrote in between', async () => {
    const { items } = setup();
    await items.replace(T, 'notes', 'c', { n: 10 }, { ifNoneMatch: '*' });
    await items.patch(T, 'notes', 'c', merge({ n: 13 }), ifMatch(1));
    const result = await items.patch(T, 'notes', 'c', merge({ n: 11 }), ifMatch(1));
    expect(result.item.document.n).toBe(14);
    expect(result.report).toEqual({
      outcome: 'merged',
      base: 1,
      current: 2,
      rules: [{ path: '/n', rule: 'counter', result: 14 }],
    });
  });

  it('writes nothing and records the conflict when the paths clash', async () => {
    const { items, store } = setup();
    await items.replace(T, 'notes', 'b', { s: 'x' }, { ifNoneMatch: '*' });
    await items.patch(T, 'notes', 'b', merge({ s: 'y' }), ifMatch(1));
    const error = await items
      .patch(T, 'notes', 'b', merge({ s: 'z' }), ifMatch(1))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(MergeClashError);
    expect((error as MergeClashError).clashes).toEqual([
      { path: '/s', base: 'x', theirs: 'y', ours: 'z' },
    ]);
    expect(store.historyOf(key('b'))).toEqual([1, 2]);
    const recorded = await store.conflicts.get(T, (error as MergeClashError).conflictId ?? '');
    expect(recorded).toMatchObject({ status: 'open', documentId: 'b', baseVersion: 1 });
  });
});
