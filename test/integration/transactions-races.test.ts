/**
 * Transfers racing through real HTTP against DynamoDB Local: 10 clients at
 * a time move amounts between 5 accounts, each reading two accounts and
 * committing both new balances in one transaction pinned by ifMatch. Over
 * many rounds the total never changes and every committed transfer is in
 * the balances: no update is lost, none is half applied.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { authedSender, freshId } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';

let api: TestApi;
const call: ReturnType<typeof authedSender> = (...args) =>
  authedSender(api.baseUrl, api.headers)(...args);

beforeAll(async () => {
  api = await startApi();
});
afterAll(() => api.close());

const ACCOUNTS = 5;
const CLIENTS = 10;
const ROUNDS = 20;
const START = 1_000;
const MAX_ATTEMPTS = 100;

const pause = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Moves `amount` from one account to another; resolves with the attempts it took. */
const transfer = async (from: string, to: string, amount: number): Promise<number> => {
  for (let attempt = 1; attempt <= MAX_ATTEMPTS; attempt++) {
    const [a, b] = await Promise.all([from, to].map((id) => call('GET', `/v1/items/${id}`)));
    if (!a || !b) throw new Error('no answer');
    const answer = await call('POST', '/v1/transactions', {
      body: {
        operations: [
          {
            op: 'replace',
            collection: 'items',
            id: from,
            ifMatch: a.headers.get('etag'),
            document: { balance: a.body.balance - amount },
          },
          {
            op: 'replace',
            collection: 'items',
            id: to,
            ifMatch: b.headers.get('etag'),
            document: { balance: b.body.balance + amount },
          },
        ],
      },
    });
    if (answer.status === 200) return attempt;
    expect(answer.status).toBe(409);
    expect(answer.body.type).toMatch(/transaction-conflict$/);
    for (const failure of answer.body.failed ?? []) expect(failure.reason).toBe('version-mismatch');
    await pause(Math.random() * 10 * Math.min(attempt, 5));
  }
  throw new Error(`transfer ${from} -> ${to} gave up`);
};

describe('concurrent transfers in transactions', () => {
  it(`keep the total and lose nothing: ${CLIENTS} clients on ${ACCOUNTS} accounts, ${ROUNDS} rounds`, async () => {
    const ids = Array.from({ length: ACCOUNTS }, () => freshId());
    for (const id of ids) {
      expect((await call('POST', '/v1/items', { body: { id, balance: START } })).status).toBe(201);
    }
    const expected = new Map(ids.map((id) => [id, START]));
    const touches = new Map(ids.map((id) => [id, 0]));
    let attempts = 0;
    for (let round = 0; round < ROUNDS; round++) {
      const moves = Array.from({ length: CLIENTS }, () => {
        const from = Math.floor(Math.random() * ACCOUNTS);
        const to = (from + 1 + Math.floor(Math.random() * (ACCOUNTS - 1))) % ACCOUNTS;
        return {
          from: ids[from] ?? '',
          to: ids[to] ?? '',
          amount: 1 + Math.floor(Math.random() * 9),
        };
      });
      const settled = await Promise.allSettled(moves.map((m) => transfer(m.from, m.to, m.amount)));
      for (const [i, result] of settled.entries()) {
        if (result.status === 'rejected') throw result.reason;
        const { from, to, amount } = moves[i] ?? { from: '', to: '', amount: 0 };
        attempts += result.value;
        expected.set(from, (expected.get(from) ?? 0) - amount);
        expected.set(to, (expected.get(to) ?? 0) + amount);
        touches.set(from, (touches.get(from) ?? 0) + 1);
        touches.set(to, (touches.get(to) ?? 0) + 1);
      }
      const balances = await Promise.all(ids.map((id) => call('GET', `/v1/items/${id}`)));
      const total = balances.reduce((sum, answer) => sum + answer.body.balance, 0);
      expect(total, `total after round ${round}`).toBe(ACCOUNTS * START);
    }
    for (const id of ids) {
      const { body } = await call('GET', `/v1/items/${id}`);
      // Every committed transfer is in the balance, and wrote exactly one version.
      expect(body.balance).toBe(expected.get(id));
      expect(body.version).toBe(1 + (touches.get(id) ?? 0));
    }
    // Contention was real: some transfers had to try again.
    expect(attempts).toBeGreaterThan(CLIENTS * ROUNDS);
    // About 30 s alone on two cores; the suite shares them with other files.
  }, 240_000);
});
