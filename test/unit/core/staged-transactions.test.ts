/**
 * Staged transactions against the in-memory store: what each refused
 * change means, and how a commit races with additions and other commits.
 */
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../functions/core/config';
import {
  NotFoundError,
  TransactionClosedError,
  TransactionConflictError,
  TransactionExpiredError,
  ValidationError,
} from '../../../functions/core/errors';
import type { ItemStore } from '../../../functions/core/items-model';
import { createStagedTransactionService } from '../../../functions/core/staged-transactions';
import type { TransactionOperation } from '../../../functions/core/transaction-model';
import { createTransactionService } from '../../../functions/core/transactions';
import { createMemoryItemStore, type MemoryItemStore } from '../../helpers/memory-item-store';

const T = 'tenant-a';
const config = parseConfig({ collections: [{ name: 'notes' }] });
const key = (id: string) => ({ tenant: T, collection: 'notes', id });
const check = (id: string): TransactionOperation => ({
  op: 'check',
  collection: 'notes',
  id,
  preconditions: { ifMatch: [{ weak: false, opaque: '1' }] },
});

const setup = (options: { store?: ItemStore; inner?: MemoryItemStore } = {}) => {
  const inner = options.inner ?? createMemoryItemStore();
  const store = options.store ?? inner;
  let clock = Date.parse('2024-01-01T00:00:00Z');
  const now = () => clock;
  const transactions = createTransactionService({ config, store, now });
  const staged = createStagedTransactionService({ transactions, store, now, newTxId: () => 'tx1' });
  return {
    staged,
    inner,
    later: (ms: number) => {
      clock += ms;
    },
  };
};

/** A store whose first commit is preceded by `meanwhile`. */
const racing = (meanwhile: (inner: MemoryItemStore) => void) => {
  const inner = createMemoryItemStore();
  let first = true;
  const store: ItemStore = {
    ...inner,
    commit: async (plan) => {
      if (first) meanwhile(inner);
      first = false;
      return inner.commit(plan);
    },
  };
  return { inner, store };
};

describe('a staged transaction', () => {
  it('commits what was added, then answers every further commit with the first results', async () => {
    const { staged, inner } = setup();
    inner.seed(key('a'), { n: 1 });
    const { id } = await staged.begin(T, 60);
    await staged.add(T, id, check('a'));
    await staged.add(T, id, { op: 'create', collection: 'notes', document: { n: 0 } });
    const first = await staged.commit(T, id);
    const commits = inner.commits();
    expect(await staged.commit(T, id)).toEqual({ ...first, replayed: true });
    expect(inner.commits()).toBe(commits);
    expect((await staged.get(T, id)).state).toBe('committed');
  });

  it('refuses a commit when an operation was added after the commit read them', async () => {
    const { inner, store } = racing((s) =>
      s.staged.edit(T, 'tx1', { operations: [check('a'), check('b')] }),
    );
    inner.seed(key('a'), { n: 1 });
    const { staged } = setup({ store, inner });
    await staged.begin(T);
    await staged.add(T, 'tx1', check('a'));
    const error = await staged.commit(T, 'tx1').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionConflictError);
    expect((error as TransactionConflictError).retryable).toBe(true);
  });

  it('answers a commit that lost the race to another commit with the winner’s results', async () => {
    const results = [
      { op: 'check', outcome: 'checked', collection: 'notes', id: 'a', version: 1 },
    ] as const;
    const { inner, store } = racing((s) =>
      s.staged.edit(T, 'tx1', { state: 'committed', results, operations: [] }),
    );
    inner.seed(key('a'), { n: 1 });
    const { staged } = setup({ store, inner });
    await staged.begin(T);
    await staged.add(T, 'tx1', check('a'));
    expect(await staged.commit(T, 'tx1')).toEqual({ results, replayed: true });
  });

  it('refuses changes after expiry with transaction-expired', async () => {
    const { staged, later } = setup();
    const { id } = await staged.begin(T, 5);
    later(5_000);
    await expect(staged.add(T, id, check('a'))).rejects.toBeInstanceOf(TransactionExpiredError);
    await expect(staged.commit(T, id)).rejects.toBeInstanceOf(TransactionExpiredError);
    await expect(staged.abort(T, id)).rejects.toBeInstanceOf(TransactionExpiredError);
    expect((await staged.get(T, id)).state).toBe('expired');
  });

  it('refuses changes once aborted, and takes another abort as done', async () => {
    const { staged } = setup();
    const { id } = await staged.begin(T);
    await staged.abort(T, id);
    await staged.abort(T, id);
    const error = await staged.add(T, id, check('a')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionClosedError);
    expect((error as TransactionClosedError).state).toBe('aborted');
    await expect(staged.commit(T, id)).rejects.toBeInstanceOf(TransactionClosedError);
  });

  it('explains refused additions: a document named twice, no room, no such transaction', async () => {
    const { staged } = setup();
    const { id } = await staged.begin(T);
    await staged.add(T, id, check('a'));
    const twice = await staged.add(T, id, check('a')).catch((e: unknown) => e);
    expect((twice as ValidationError).errors).toEqual([
      { pointer: '/id', message: expect.stringContaining('operation 0') },
    ]);
    for (let i = 0; i < 32; i++) {
      await staged.add(T, id, { op: 'create', collection: 'notes', document: {} });
    }
    const full = await staged
      .add(T, id, { op: 'create', collection: 'notes', document: {} })
      .catch((e: unknown) => e);
    expect((full as ValidationError).errors[0]?.message).toContain('it needs 97 already');
    await expect(staged.add(T, 'nope', check('a'))).rejects.toBeInstanceOf(NotFoundError);
    await expect(staged.add('tenant-b', id, check('a'))).rejects.toBeInstanceOf(NotFoundError);
  });

  it('checks an operation as it is added, and commits nothing empty', async () => {
    const { staged } = setup();
    const { id } = await staged.begin(T);
    const invalid = await staged
      .add(T, id, { op: 'replace', collection: 'notes', id: 'a', document: {}, preconditions: {} })
      .catch((e: unknown) => e);
    expect((invalid as ValidationError).errors).toEqual([
      { pointer: '', message: expect.stringContaining('ifMatch') },
    ]);
    await expect(staged.commit(T, id)).rejects.toBeInstanceOf(ValidationError);
  });
});
