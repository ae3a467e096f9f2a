/**
 * Unique fields inside transactions, through real HTTP against DynamoDB
 * Local: guards are claimed and released in the transaction's own request,
 * so a value may even move between documents of one transaction.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../functions/core/config';
import { authedSender, freshId, problemType } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';

let api: TestApi;
const call: ReturnType<typeof authedSender> = (...args) =>
  authedSender(api.baseUrl, api.headers)(...args);

beforeAll(async () => {
  api = await startApi({
    config: parseConfig({ collections: [{ name: 'people', unique: ['email'] }] }),
  });
});
afterAll(() => api.close());

const email = () => `${freshId()}@example.com`;
const create = async (body: Record<string, unknown>) => {
  const id = freshId();
  expect((await call('POST', '/v1/people', { body: { id, ...body } })).status).toBe(201);
  return id;
};
const transaction = (operations: unknown[]) =>
  call('POST', '/v1/transactions', { body: { operations } });
/** Who holds a value: the answer to creating another document with it. */
const holderOf = async (value: string) => {
  const answer = await call('POST', '/v1/people', { body: { email: value } });
  if (answer.status === 201) return undefined;
  expect(answer.body.type).toBe(problemType('unique-violation'));
  return answer.body.location;
};

describe('unique fields in transactions', () => {
  it('refuses a value another document holds, naming the holder, and writes nothing', async () => {
    const taken = email();
    const holder = await create({ email: taken });
    const free = freshId();
    const answer = await transaction([
      { op: 'create', collection: 'people', id: free, document: { email: email() } },
      { op: 'create', collection: 'people', document: { email: taken } },
    ]);
    expect(answer.status).toBe(409);
    expect(answer.body.failed).toEqual([
      expect.objectContaining({
        index: 1,
        reason: 'unique-violation',
        field: 'email',
        location: `/v1/people/${holder}`,
      }),
    ]);
    expect((await call('GET', `/v1/people/${free}`)).status).toBe(404);
  });

  it('gives a value two operations claim to the first one only', async () => {
    const value = email();
    const [a, b] = [freshId(), freshId()];
    const answer = await transaction([
      { op: 'create', collection: 'people', id: a, document: { email: value } },
      { op: 'create', collection: 'people', id: b, document: { email: value } },
    ]);
    expect(answer.status).toBe(409);
    expect(answer.body.failed).toEqual([
      expect.objectContaining({
        index: 1,
        reason: 'unique-violation',
        location: `/v1/people/${a}`,
      }),
    ]);
    expect(await holderOf(value)).toBeUndefined();
  });

  it('swaps the values of two documents in one transaction', async () => {
    const [x, y] = [email(), email()];
    const [a, b] = [await create({ email: x }), await create({ email: y })];
    const answer = await transaction([
      { op: 'replace', collection: 'people', id: a, ifMatch: '"1"', document: { email: y } },
      { op: 'replace', collection: 'people', id: b, ifMatch: '"1"', document: { email: x } },
    ]);
    expect(answer.status).toBe(200);
    expect(await holderOf(x)).toBe(`/v1/people/${b}`);
    expect(await holderOf(y)).toBe(`/v1/people/${a}`);
  });

  it('hands a deleted document’s value to a new one in the same transaction', async () => {
    const value = email();
    const old = await create({ email: value });
    const successor = freshId();
    const answer = await transaction([
      { op: 'delete', collection: 'people', id: old, ifMatch: '"1"' },
      { op: 'create', collection: 'people', id: successor, document: { email: value } },
    ]);
    expect(answer.status).toBe(200);
    expect(await holderOf(value)).toBe(`/v1/people/${successor}`);
  });

  it('lets exactly one of 10 racing transactions take one value', async () => {
    const value = email();
    const answers = await Promise.all(
      Array.from({ length: 10 }, () =>
        transaction([
          { op: 'create', collection: 'people', document: { email: value } },
          { op: 'create', collection: 'people', document: { email: email() } },
        ]),
      ),
    );
    expect(answers.filter((a) => a.status === 200)).toHaveLength(1);
    for (const refused of answers.filter((a) => a.status !== 200)) {
      expect(refused.status).toBe(409);
      expect(refused.body.failed?.[0]?.reason ?? refused.body.type).toMatch(
        /unique-violation|transaction-conflict/,
      );
    }
  });

  it('counts each unique field in the size of a transaction', async () => {
    const creates = (n: number) =>
      Array.from({ length: n }, () => ({
        op: 'create',
        collection: 'people',
        document: { email: email() },
      }));
    // 5 actions per write here: 19 writes need 95, 20 would need 100.
    expect((await transaction(creates(20))).status).toBe(422);
    expect((await transaction(creates(19))).status).toBe(200);
  });
});
