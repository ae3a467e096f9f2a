/**
 * The commit path of document writes, against the in-memory store: how each
 * write learns the version it pins, how many reads and commits it costs, and
 * that an Idempotency-Key's stored answer outranks every other refusal.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/core/config';
import {
  IdempotencyInFlightError,
  IdempotencyKeyReusedError,
  VersionMismatchError,
} from '../../../functions/core/errors';
import type { IdempotencyRequest } from '../../../functions/core/idempotency';
import { createItemService } from '../../../functions/core/items';
import type { ItemStore } from '../../../functions/core/items-model';
import type { EntityTag, Preconditions } from '../../../functions/core/preconditions';
import { PlanRefusedError } from '../../../functions/core/write-plan';
import { createMemoryItemStore } from '../../helpers/memory-item-store';

const T = 'tenant-a';
const config = parseConfig({
  collections: [{ name: 'notes' }, { name: 'open', requirePrecondition: false }],
});
const tag = (version: number): EntityTag => ({ weak: false, opaque: String(version) });
const ifMatch = (...versions: number[]): Preconditions => ({ ifMatch: versions.map(tag) });
const key = (id: string, collection = 'notes') => ({ tenant: T, collection, id });
const idem = (name: string, fingerprint = `fp-${name}`): { idempotency: IdempotencyRequest } => ({
  idempotency: { key: name, fingerprint },
});

const setup = (store = createMemoryItemStore()) => {
  const items = createItemService({ config, store, newId: () => 'gen-1' });
  return { items, store };
};

describe('pinning a write to the version it replaces', () => {
  it('creates a new id with one commit and no read', async () => {
    const { items, store } = setup();
    await items.create(T, 'notes', { id: 'a' });
    expect([store.reads(), store.commits()]).toEqual([0, 1]);
  });

  it('re-creates a deleted id in two commits: the refusal carries the tombstone version', async () => {
    const { items, store } = setup();
    store.seed(key('a'), { n: 1 });
    store.seed(key('a'), null);
    const result = await items.create(T, 'notes', { id: 'a', n: 2 });
    expect(result).toMatchObject({ created: true, item: { version: 3 } });
    expect([store.reads(), store.commits()]).toEqual([0, 2]);
  });

  it('pins a single If-Match tag without reading', async () => {
    const { items, store } = setup();
    store.seed(key('a'), { n: 1 });
    await items.replace(T, 'notes', 'a', { n: 2 }, ifMatch(1));
    await items.remove(T, 'notes', 'a', ifMatch(2));
    expect([store.reads(), store.commits()]).toEqual([0, 2]);
  });

  it('reads first for If-Match: *, several tags and unconditional writes', async () => {
    const { items, store } = setup();
    store.seed(key('a'), { n: 1 });
    store.seed(key('o', 'open'), { n: 1 });
    await items.replace(T, 'notes', 'a', { n: 2 }, { ifMatch: '*' });
    await items.replace(T, 'notes', 'a', { n: 3 }, ifMatch(1, 2));
    await items.replace(T, 'open', 'o', { n: 2 }, {});
    expect([store.reads(), store.commits()]).toEqual([3, 3]);
    expect((await store.get(key('a')))?.version).toBe(3);
  });

  it('answers a read-first write whose precondition fails from the read alone', async () => {
    const { items, store } = setup();
    store.seed(key('a'), { n: 1 });
    await expect(
      items.replace(T, 'notes', 'a', { n: 2 }, { ifNoneMatch: [tag(1)] }),
    ).rejects.toBeInstanceOf(VersionMismatchError);
    expect(store.commits()).toBe(0);
  });

  it('tries an unconditional write again on the version a refusal brings back', async () => {
    const inner = createMemoryItemStore();
    inner.seed(key('o', 'open'), { n: 1 });
    let raced = false;
    const store: ItemStore = {
      ...inner,
      async commit(plan) {
        // Another client writes between our read and our commit, once.
        if (!raced) {
          raced = true;
          inner.seed(key('o', 'open'), { n: 'theirs' });
        }
        return inner.commit(plan);
      },
    };
    const result = await createItemService({ config, store }).replace(T, 'open', 'o', { n: 3 }, {});
    expect(result.item).toMatchObject({ version: 3, document: { n: 3 } });
    // one read; the refused commit brought version 2 back, so no second read
    expect([inner.reads(), inner.commits()]).toEqual([1, 2]);
  });
});

describe('Idempotency-Key on the commit path', () => {
  it('records the answer with the write in the same commit', async () => {
    const { items, store } = setup();
    const first = await items.create(T, 'notes', { id: 'a' }, idem('k1'));
    expect(first.replayed).toBeUndefined();
    expect(store.commits()).toBe(1);
    const again = await items.create(T, 'notes', { id: 'a' }, idem('k1'));
    expect(again).toEqual({ ...first, replayed: true });
    expect([store.reads(), store.commits()]).toEqual([0, 2]);
  });

  it('replays a keyed write whose own precondition has gone stale, instead of a conflict', async () => {
    const { items, store } = setup();
    store.seed(key('a'), { n: 1 });
    const first = await items.replace(T, 'notes', 'a', { n: 2 }, ifMatch(1), idem('k2'));
    const again = await items.replace(T, 'notes', 'a', { n: 2 }, ifMatch(1), idem('k2'));
    expect(again).toEqual({ ...first, replayed: true });
    const deleted = await items.remove(T, 'notes', 'a', ifMatch(2), idem('k3'));
    await expect(items.remove(T, 'notes', 'a', ifMatch(2), idem('k3'))).resolves.toEqual({
      ...deleted,
      replayed: true,
    });
    expect((await store.get(key('a')))?.version).toBe(3);
  });

  it('replays a keyed create whose server-made id differs from the first one', async () => {
    const store = createMemoryItemStore();
    let n = 0;
    const items = createItemService({ config, store, newId: () => `gen-${++n}` });
    const first = await items.create(T, 'notes', { x: 1 }, idem('k4'));
    const again = await items.create(T, 'notes', { x: 1 }, idem('k4'));
    expect(again.item.id).toBe(first.item.id);
    expect(store.records()).toHaveLength(1);
  });

  it('refuses the same key with another request, whatever else the write meets', async () => {
    const { items } = setup();
    await items.create(T, 'notes', { id: 'a' }, idem('k5', 'one'));
    await expect(items.create(T, 'notes', { id: 'a' }, idem('k5', 'other'))).rejects.toBeInstanceOf(
      IdempotencyKeyReusedError,
    );
  });

  it('answers a keyed read-first write from the record read with the document: one read', async () => {
    const { items, store } = setup();
    store.seed(key('a'), { n: 1 });
    const patch = { format: 'merge', value: { n: 2 } } as const;
    const first = await items.patch(T, 'notes', 'a', patch, ifMatch(1), idem('k6'));
    const reads = store.reads();
    const again = await items.patch(T, 'notes', 'a', patch, ifMatch(1), idem('k6'));
    expect(again).toEqual({ ...first, replayed: true });
    expect(store.reads() - reads).toBe(1);
    expect(store.commits()).toBe(1);
  });

  it('passes a duplicate in flight through as idempotency-in-flight', async () => {
    const inner = createMemoryItemStore();
    const store: ItemStore = {
      ...inner,
      commit: async () => {
        throw new IdempotencyInFlightError('busy');
      },
    };
    await expect(
      createItemService({ config, store }).create(T, 'notes', { id: 'a' }, idem('k7')),
    ).rejects.toBeInstanceOf(IdempotencyInFlightError);
  });

  it('does not mistake another part refusal for a replay when the record held', async () => {
    const { items, store } = setup();
    store.seed(key('a'), { n: 1 });
    const error = await items
      .replace(T, 'notes', 'a', { n: 2 }, ifMatch(7), idem('k8'))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(VersionMismatchError);
    expect(error).not.toBeInstanceOf(PlanRefusedError);
  });
});
