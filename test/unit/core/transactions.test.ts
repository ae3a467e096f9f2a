/**
 * Transactions against the in-memory store: one plan per attempt, how many
 * reads each costs, what a refusal lists, and how pins that only lagged
 * behind are tried again.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/core/config';
import {
  IdempotencyKeyReusedError,
  PayloadTooLargeError,
  TransactionConflictError,
  ValidationError,
} from '../../../functions/core/errors';
import type { ItemStore } from '../../../functions/core/items-model';
import type { EntityTag, Preconditions } from '../../../functions/core/preconditions';
import type { TransactionOperation } from '../../../functions/core/transaction-model';
import {
  createTransactionService,
  type TransactionService,
} from '../../../functions/core/transactions';
import type { WritePlan } from '../../../functions/core/write-plan';
import { createMemoryItemStore, type MemoryItemStore } from '../../helpers/memory-item-store';

const T = 'tenant-a';
const config = parseConfig({
  collections: [
    { name: 'notes', history: { keepVersions: 2, keepDays: 1 } },
    { name: 'open', requirePrecondition: false },
    {
      name: 'people',
      schema: { type: 'object', required: ['name'], properties: { name: { type: 'string' } } },
    },
    { name: 'users', unique: ['email'] },
  ],
});
const tag = (version: number): EntityTag => ({ weak: false, opaque: String(version) });
const ifMatch = (version: number): Preconditions => ({ ifMatch: [tag(version)] });
const key = (id: string, collection = 'notes') => ({ tenant: T, collection, id });

function setup(): { transactions: TransactionService; store: MemoryItemStore };
function setup<S extends ItemStore>(store: S): { transactions: TransactionService; store: S };
function setup(store: ItemStore = createMemoryItemStore()) {
  let n = 0;
  const transactions = createTransactionService({
    config,
    store,
    newId: () => `gen-${++n}`,
    now: () => Date.parse('2024-01-01T00:00:00Z'),
  });
  return { transactions, store };
}

/** A store whose next commit is preceded by `meanwhile` (another client's write). */
const interleaved = (meanwhile: (store: ReturnType<typeof createMemoryItemStore>) => void) => {
  const inner = createMemoryItemStore();
  const plans: WritePlan[] = [];
  let first = true;
  const store: ItemStore = {
    ...inner,
    commit: async (plan) => {
      plans.push(plan);
      if (first) meanwhile(inner);
      first = false;
      return inner.commit(plan);
    },
  };
  return { inner, store, plans };
};

const failureOf = async (promise: Promise<unknown>) => {
  const error = await promise.catch((e: unknown) => e);
  expect(error).toBeInstanceOf(TransactionConflictError);
  return (error as TransactionConflictError).failures.map((f) => [f.index, f.error.code]);
};

describe('a transaction', () => {
  it('commits pinned writes and checks as one plan with their history, reading nothing', async () => {
    const { transactions, store } = setup();
    store.seed(key('b'), { n: 1 });
    store.seed(key('c'), { n: 1 });
    const result = await transactions.run(T, [
      { op: 'create', collection: 'notes', id: 'a', document: { n: 0 } },
      {
        op: 'replace',
        collection: 'notes',
        id: 'b',
        document: { n: 2 },
        preconditions: ifMatch(1),
      },
      { op: 'check', collection: 'notes', id: 'c', preconditions: ifMatch(1) },
    ]);
    expect(result.results.map((r) => [r.outcome, r.version])).toEqual([
      ['created', 1],
      ['replaced', 2],
      ['checked', 1],
    ]);
    expect([store.reads(), store.commits()]).toEqual([0, 1]);
    expect(store.historyOf(key('a'))).toEqual([1]);
    expect(store.historyOf(key('b'))).toEqual([2]);
    expect(store.historyOf(key('c'))).toEqual([]);
  });

  it('reads every document its patches need in one read', async () => {
    const { transactions, store } = setup();
    for (const id of ['a', 'b', 'c']) store.seed(key(id), { n: 1 });
    await transactions.run(
      T,
      ['a', 'b', 'c'].map(
        (id): TransactionOperation => ({
          op: 'patch',
          collection: 'notes',
          id,
          patch: { format: 'merge', value: { m: id } },
          preconditions: ifMatch(1),
        }),
      ),
    );
    expect([store.reads(), store.commits()]).toEqual([1, 1]);
    expect((await store.get(key('b')))?.body).toEqual({ n: 1, m: 'b' });
  });

  it('drops the history entry retention no longer keeps in the same plan', async () => {
    const { inner, store, plans } = interleaved(() => {});
    inner.seed(key('a'), { n: 1 });
    inner.seed(key('a'), { n: 2 });
    const { transactions } = setup(store);
    await transactions.run(T, [
      {
        op: 'replace',
        collection: 'notes',
        id: 'a',
        document: { n: 3 },
        preconditions: ifMatch(2),
      },
    ]);
    expect(plans[0]?.parts.map((p) => p.kind)).toEqual(['document', 'history', 'history-drop']);
  });

  it('re-creates a deleted id: the refusal shows the tombstone, and the plan is pinned to it', async () => {
    const { transactions, store } = setup();
    store.seed(key('a'), { n: 1 });
    store.seed(key('a'), null);
    const result = await transactions.run(T, [
      { op: 'create', collection: 'notes', id: 'a', document: { n: 2 } },
      { op: 'create', collection: 'notes', id: 'b', document: {} },
    ]);
    expect(result.results.map((r) => r.version)).toEqual([3, 1]);
    expect([store.reads(), store.commits()]).toEqual([0, 2]);
  });

  it('builds again on the version a refusal brings back when only an unpinned operation lagged', async () => {
    const { inner, store } = interleaved((s) => s.seed(key('a', 'open'), { n: 'theirs' }));
    inner.seed(key('a', 'open'), { n: 1 });
    const { transactions } = setup(store);
    const result = await transactions.run(T, [
      { op: 'replace', collection: 'open', id: 'a', document: { n: 'ours' }, preconditions: {} },
    ]);
    expect(result.results[0]?.version).toBe(3);
    expect((await inner.get(key('a', 'open')))?.body).toEqual({ n: 'ours' });
  });

  it('re-applies a patch without a pin to the newer version a refusal brings back', async () => {
    const { inner, store } = interleaved((s) => s.seed(key('a', 'open'), { n: 1, theirs: true }));
    inner.seed(key('a', 'open'), { n: 1 });
    const { transactions } = setup(store);
    await transactions.run(T, [
      {
        op: 'patch',
        collection: 'open',
        id: 'a',
        patch: { format: 'merge', value: { ours: true } },
        preconditions: {},
      },
    ]);
    expect((await inner.get(key('a', 'open')))?.body).toEqual({ n: 1, theirs: true, ours: true });
  });
});

describe('unique values in a transaction', () => {
  const user = (id: string) => key(id, 'users');

  it('swaps two values with one claim per guard, each taking over from the other document', async () => {
    const { inner, store, plans } = interleaved(() => {});
    const { transactions } = setup(store);
    await transactions.run(T, [
      { op: 'create', collection: 'users', id: 'a', document: { email: 'x' } },
      { op: 'create', collection: 'users', id: 'b', document: { email: 'y' } },
    ]);
    await transactions.run(T, [
      {
        op: 'replace',
        collection: 'users',
        id: 'a',
        document: { email: 'y' },
        preconditions: ifMatch(1),
      },
      {
        op: 'replace',
        collection: 'users',
        id: 'b',
        document: { email: 'x' },
        preconditions: ifMatch(1),
      },
    ]);
    const guards = plans[1]?.parts.flatMap((p) =>
      p.kind === 'unique-claim'
        ? [[p.kind, p.key.id, p.from]]
        : p.kind === 'unique-release'
          ? [[p.kind, p.key.id]]
          : [],
    );
    expect(guards).toEqual([
      ['unique-claim', 'a', 'b'],
      ['unique-claim', 'b', 'a'],
    ]);
    // The writes with unique fields read their old values first, in one read.
    expect(inner.reads()).toBe(1);
    const taken = await failureOf(
      transactions.run(T, [{ op: 'create', collection: 'users', document: { email: 'x' } }]),
    );
    expect(taken).toEqual([[0, 'unique-violation']]);
  });

  it('fails the later of two operations claiming one value', async () => {
    const { transactions, store } = setup();
    const error = await transactions
      .run(T, [
        { op: 'create', collection: 'users', id: 'a', document: { email: 'z' } },
        { op: 'create', collection: 'users', id: 'b', document: { email: 'z' } },
      ])
      .catch((e: unknown) => e);
    const failure = (error as TransactionConflictError).failures[0];
    expect([failure?.index, failure?.error.code]).toEqual([1, 'unique-violation']);
    expect(await store.get(user('a'))).toBeUndefined();
  });
});

describe('a refused transaction', () => {
  it('lists every operation whose condition failed, and writes nothing', async () => {
    const { transactions, store } = setup();
    store.seed(key('a'), { n: 1 });
    store.seed(key('b'), { n: 1 });
    store.seed(key('b'), { n: 2 });
    const failures = await failureOf(
      transactions.run(T, [
        { op: 'create', collection: 'notes', id: 'a', document: {} },
        { op: 'replace', collection: 'notes', id: 'b', document: {}, preconditions: ifMatch(1) },
        { op: 'create', collection: 'notes', id: 'c', document: {} },
        { op: 'delete', collection: 'notes', id: 'd', preconditions: ifMatch(1) },
      ]),
    );
    expect(failures).toEqual([
      [0, 'already-exists'],
      [1, 'version-mismatch'],
      [3, 'not-found'],
    ]);
    expect(await store.get(key('c'))).toBeUndefined();
  });

  it('sends a failure found in the read together with the unread operations, to name them all', async () => {
    const { transactions, store } = setup();
    store.seed(key('a'), { state: 'open' });
    store.seed(key('b'), { n: 1 });
    store.seed(key('b'), { n: 2 });
    const failures = await failureOf(
      transactions.run(T, [
        {
          op: 'patch',
          collection: 'notes',
          id: 'a',
          patch: { format: 'json', value: [{ op: 'test', path: '/state', value: 'closed' }] },
          preconditions: ifMatch(1),
        },
        { op: 'check', collection: 'notes', id: 'b', preconditions: ifMatch(1) },
      ]),
    );
    expect(failures).toEqual([
      [0, 'patch-test-failed'],
      [1, 'version-mismatch'],
    ]);
    expect([store.reads(), store.commits()]).toEqual([1, 1]);
  });

  it('answers from the read alone when every operation was read', async () => {
    const { transactions, store } = setup();
    store.seed(key('a'), { n: 1 });
    store.seed(key('a'), { n: 2 });
    const failures = await failureOf(
      transactions.run(T, [
        {
          op: 'patch',
          collection: 'notes',
          id: 'a',
          patch: { format: 'merge', value: {} },
          preconditions: ifMatch(1),
        },
      ]),
    );
    expect(failures).toEqual([[0, 'version-mismatch']]);
    expect([store.reads(), store.commits()]).toEqual([1, 0]);
  });

  it('answers lock-held for a leased document written without the token', async () => {
    const { transactions, store } = setup();
    store.seed(key('a'), { n: 1 });
    await store.commit({
      parts: [
        {
          kind: 'lease',
          key: key('a'),
          change: {
            op: 'acquire',
            leaseId: 'L'.repeat(24),
            expiresAt: Date.parse('2030-01-01'),
            now: 0,
          },
        },
      ],
    });
    const failures = await failureOf(
      transactions.run(T, [
        { op: 'delete', collection: 'notes', id: 'a', preconditions: ifMatch(1) },
      ]),
    );
    expect(failures).toEqual([[0, 'lock-held']]);
    // A check reads; it passes a lease it does not name.
    await transactions.run(T, [
      { op: 'check', collection: 'notes', id: 'a', preconditions: ifMatch(1) },
    ]);
  });

  it('checks patch results against the schema, located under the operation', async () => {
    const { transactions, store } = setup();
    store.seed(key('p', 'people'), { name: 'Ada' });
    const error = await transactions
      .run(T, [
        {
          op: 'patch',
          collection: 'people',
          id: 'p',
          patch: { format: 'merge', value: { name: 7 } },
          preconditions: ifMatch(1),
        },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toEqual([
      { pointer: '/operations/0/patch', message: '/name: must be string' },
    ]);
    expect(store.commits()).toBe(0);
  });
});

describe('a patch result the collection cannot store', () => {
  it('is the patch’s own fault: a 422 located at it, not a conflict', async () => {
    const { transactions, store } = setup();
    store.seed(key('a'), { n: 1 });
    const copies = Array.from({ length: 4 }, (_, i) => ({
      op: 'add',
      path: `/c${i}`,
      value: 'x'.repeat(100_000),
    }));
    const error = await transactions
      .run(T, [
        {
          op: 'patch',
          collection: 'notes',
          id: 'a',
          patch: { format: 'json', value: copies },
          preconditions: ifMatch(1),
        },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ValidationError);
    expect((error as ValidationError).errors).toEqual([
      { pointer: '/operations/0/patch', message: expect.stringContaining('350000') },
    ]);
  });
});

describe('a transaction with an Idempotency-Key', () => {
  const idempotency = { key: 'k1', fingerprint: 'f1' };

  it('stores its results in the same plan and answers a repeat with them', async () => {
    const { transactions, store } = setup();
    store.seed(key('a'), { n: 1 });
    const operations: TransactionOperation[] = [
      {
        op: 'replace',
        collection: 'notes',
        id: 'a',
        document: { n: 2 },
        preconditions: ifMatch(1),
      },
    ];
    const first = await transactions.run(T, operations, { idempotency });
    const again = await transactions.run(T, operations, { idempotency });
    expect(again).toEqual({ ...first, replayed: true });
    expect((await store.get(key('a')))?.version).toBe(2);
    await expect(
      transactions.run(T, operations, { idempotency: { key: 'k1', fingerprint: 'other' } }),
    ).rejects.toBeInstanceOf(IdempotencyKeyReusedError);
  });

  it('answers a repeat from the read when a patch reads first, before judging stale preconditions', async () => {
    const { transactions, store } = setup();
    store.seed(key('a'), { n: 1 });
    const operations: TransactionOperation[] = [
      {
        op: 'patch',
        collection: 'notes',
        id: 'a',
        patch: { format: 'merge', value: { n: 2 } },
        preconditions: ifMatch(1),
      },
    ];
    await transactions.run(T, operations, { idempotency });
    const commits = store.commits();
    const again = await transactions.run(T, operations, { idempotency });
    expect(again.replayed).toBe(true);
    expect(store.commits()).toBe(commits);
  });

  it('refuses results too large to keep for retries with a 413', async () => {
    const { transactions } = setup();
    const big = 'x'.repeat(120_000);
    const operations: TransactionOperation[] = ['a', 'b', 'c'].map((id) => ({
      op: 'create',
      collection: 'notes',
      id,
      document: { big },
    }));
    await expect(transactions.run(T, operations, { idempotency })).rejects.toBeInstanceOf(
      PayloadTooLargeError,
    );
    await expect(transactions.run(T, operations)).resolves.toBeDefined();
  });
});
