/**
 * The client's transactions against the real server: one-shot, the
 * `updateMany()` loop racing itself, and staged transactions.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConcordClient, TransactionConflictError } from '../../client/index';
import { freshId } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';

interface Account {
  balance: number;
}

let api: TestApi;
let client: ConcordClient;

beforeAll(async () => {
  api = await startApi();
  client = new ConcordClient({ baseUrl: api.baseUrl, apiKey: api.apiKey });
});
afterAll(() => api.close());

const account = async (balance: number) => {
  const id = freshId();
  await client.create<Account>('items', { id, balance });
  return id;
};

describe('the client with transactions', () => {
  it('commits a transaction, and reads a refusal into failures with the current documents', async () => {
    const [a, b] = [await account(10), await account(10)];
    const done = await client.transaction<Account>([
      { op: 'replace', collection: 'items', id: a, ifMatch: 1, document: { balance: 5 } },
      { op: 'replace', collection: 'items', id: b, ifMatch: 1, document: { balance: 15 } },
    ]);
    expect(done.results.map((r) => r.document?.balance)).toEqual([5, 15]);
    const error = await client
      .transaction([
        { op: 'check', collection: 'items', id: a, ifMatch: 2 },
        { op: 'delete', collection: 'items', id: b, ifMatch: 1 },
      ])
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionConflictError);
    const [failure] = (error as TransactionConflictError<Account>).failures;
    expect(failure).toMatchObject({ index: 1, reason: 'version-mismatch' });
    expect(failure?.current?.document).toMatchObject({ id: b, version: 2, balance: 15 });
  });

  it('keeps the total when 8 updateMany() transfers race over 3 accounts', async () => {
    const ids = [await account(100), await account(100), await account(100)];
    const transfers = Array.from({ length: 8 }, (_, i) => {
      const from = ids[i % 3] ?? '';
      const to = ids[(i + 1) % 3] ?? '';
      return client.updateMany<Account>(
        [
          { collection: 'items', id: from },
          { collection: 'items', id: to },
        ],
        ([f, t]) => [{ balance: (f?.balance ?? 0) - 7 }, { balance: (t?.balance ?? 0) + 7 }],
        { maxAttempts: 100 },
      );
    });
    const outcomes = await Promise.allSettled(transfers);
    expect(outcomes.filter((o) => o.status === 'rejected')).toEqual([]);
    const balances = await Promise.all(ids.map((id) => client.get<Account>('items', id)));
    expect(balances.reduce((sum, b) => sum + b.document.balance, 0)).toBe(300);
    // Every transfer wrote both of its accounts exactly once.
    expect(balances.reduce((sum, b) => sum + b.version - 1, 0)).toBe(16);
  });

  it('builds a staged transaction over several calls and commits it once', async () => {
    const [a, b] = [await account(1), await account(1)];
    const tx = await client.beginTransaction({ ttlSeconds: 60 });
    await tx.add({ op: 'patch', collection: 'items', id: a, ifMatch: 1, patch: { balance: 2 } });
    await tx.add({ op: 'delete', collection: 'items', id: b, ifMatch: 1 });
    expect((await tx.get()).operations.map((op) => op.op)).toEqual(['patch', 'delete']);
    const first = await tx.commit<Account>();
    expect(first.results.map((r) => r.status)).toEqual([200, 204]);
    const again = await client.stagedTransaction(tx.id).commit<Account>();
    expect(again).toEqual({ results: first.results, replayed: true });
    expect((await tx.get()).state).toBe('committed');
  });
});
