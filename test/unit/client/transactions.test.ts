import { describe, expect, it } from 'vitest';
import {
  ConcordClient,
  NetworkError,
  NotFoundError,
  TransactionConflictError,
} from '../../../client/index';
import {
  doc,
  type FakeServer,
  fakeServer,
  json,
  problem,
  recordingSleep,
  UUID,
} from './fake-server';

type Account = { balance: number };

function clientFor(server: FakeServer) {
  const { delays, sleep } = recordingSleep();
  const client = new ConcordClient({
    baseUrl: 'https://api.test',
    fetch: server.fetch,
    random: () => 0.5,
    sleep,
  });
  return { client, delays };
}

const results = (...entries: Array<Record<string, unknown>>) =>
  json(200, { results: entries.map((e, index) => ({ index, status: 200, ...e })) });

const mismatch = (index: number, current: Record<string, unknown> & { version: number }) => ({
  index,
  op: 'replace',
  collection: 'accounts',
  id: String(current.id),
  reason: 'version-mismatch',
  detail: 'stale',
  current: { version: current.version, etag: `"${current.version}"`, document: current },
});

const bodyOf = (server: FakeServer, i: number) => JSON.parse(server.seen[i]?.body ?? 'null');

describe('transaction()', () => {
  it('sends the operations with quoted entity tags and an Idempotency-Key', async () => {
    const server = fakeServer(
      results({
        op: 'replace',
        id: 'a',
        version: 4,
        document: { id: 'a', version: 4, balance: 1 },
      }),
    );
    const { client } = clientFor(server);
    const answer = await client.transaction<Account>([
      { op: 'replace', collection: 'accounts', id: 'a', ifMatch: 3, document: { balance: 1 } },
      { op: 'check', collection: 'limits', id: 'l', ifNoneMatch: '*' },
    ]);
    expect(server.calls()).toEqual(['POST /v1/transactions']);
    expect(bodyOf(server, 0)).toEqual({
      operations: [
        {
          op: 'replace',
          collection: 'accounts',
          id: 'a',
          ifMatch: '"3"',
          document: { balance: 1 },
        },
        { op: 'check', collection: 'limits', id: 'l', ifNoneMatch: '*' },
      ],
    });
    expect(server.seen[0]?.headers['idempotency-key']).toMatch(UUID);
    expect(answer.results[0]?.document?.balance).toBe(1);
    expect(answer.replayed).toBe(false);
  });

  it('rejects with every refused operation and its current state, without retrying', async () => {
    const server = fakeServer(
      problem(409, 'transaction-conflict', {
        failed: [
          mismatch(1, { id: 'b', version: 7, balance: 5 }),
          {
            index: 2,
            op: 'create',
            collection: 'accounts',
            id: 'c',
            reason: 'unique-violation',
            field: 'email',
            location: '/v1/accounts/d',
          },
        ],
      }),
    );
    const { client } = clientFor(server);
    const error = await client.transaction([]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TransactionConflictError);
    const { failures } = error as TransactionConflictError;
    expect(failures.map((f) => [f.index, f.reason])).toEqual([
      [1, 'version-mismatch'],
      [2, 'unique-violation'],
    ]);
    expect(failures[0]?.current).toMatchObject({ id: 'b', version: 7, etag: '"7"' });
    expect(failures[1]?.members).toEqual({ field: 'email', location: '/v1/accounts/d' });
    expect(server.seen).toHaveLength(1);
  });

  it('repeats a retryable conflict (only others in the way) with the same key', async () => {
    const server = fakeServer(
      problem(409, 'transaction-conflict', { retryable: true }, { 'retry-after': '1' }),
      results({ op: 'delete', status: 204, version: 2 }),
    );
    const { client } = clientFor(server);
    await client.transaction([{ op: 'delete', collection: 'a', id: 'x', ifMatch: '"1"' }]);
    expect(server.seen).toHaveLength(2);
    expect(server.seen[1]?.headers['idempotency-key']).toBe(
      server.seen[0]?.headers['idempotency-key'],
    );
  });
});

describe('updateMany()', () => {
  const transfer = ([from, to]: Array<Account & { id: string; version: number }>) => [
    { balance: (from?.balance ?? 0) - 10 },
    { balance: (to?.balance ?? 0) + 10 },
  ];

  it('re-applies mutate to the documents a refusal carries, without reading again', async () => {
    const server = fakeServer(
      doc(200, { id: 'a', version: 1, balance: 100 }),
      doc(200, { id: 'b', version: 1, balance: 0 }),
      problem(409, 'transaction-conflict', {
        failed: [mismatch(1, { id: 'b', version: 3, balance: 50 })],
      }),
      results({ op: 'replace' }, { op: 'replace' }),
    );
    const { client, delays } = clientFor(server);
    await client.updateMany<Account>(
      [
        { collection: 'accounts', id: 'a' },
        { collection: 'accounts', id: 'b' },
      ],
      transfer,
    );
    expect(server.calls()).toEqual([
      'GET /v1/accounts/a',
      'GET /v1/accounts/b',
      'POST /v1/transactions',
      'POST /v1/transactions',
    ]);
    expect(bodyOf(server, 3).operations).toEqual([
      { op: 'replace', collection: 'accounts', id: 'a', ifMatch: '"1"', document: { balance: 90 } },
      { op: 'replace', collection: 'accounts', id: 'b', ifMatch: '"3"', document: { balance: 60 } },
    ]);
    expect(delays).toEqual([0.5 * 20]);
  });

  it('checks a document kept as it is and deletes one answered with null', async () => {
    const server = fakeServer(
      doc(200, { id: 'a', version: 2, n: 1 }),
      doc(200, { id: 'b', version: 5, n: 1 }),
      results({ op: 'check' }, { op: 'delete', status: 204 }),
    );
    const { client } = clientFor(server);
    await client.updateMany(
      [
        { collection: 'c', id: 'a' },
        { collection: 'c', id: 'b' },
      ],
      () => [undefined, null],
    );
    expect(bodyOf(server, 2).operations).toEqual([
      { op: 'check', collection: 'c', id: 'a', ifMatch: '"2"' },
      { op: 'delete', collection: 'c', id: 'b', ifMatch: '"5"' },
    ]);
  });

  it('stops at a refusal that is not a version mismatch', async () => {
    const server = fakeServer(
      doc(200, { id: 'a', version: 1, balance: 1 }),
      problem(409, 'transaction-conflict', {
        failed: [{ index: 0, op: 'replace', collection: 'c', id: 'a', reason: 'lock-held' }],
      }),
    );
    const { client } = clientFor(server);
    await expect(
      client.updateMany<Account>([{ collection: 'c', id: 'a' }], ([a]) => [
        { balance: (a?.balance ?? 0) + 1 },
      ]),
    ).rejects.toBeInstanceOf(TransactionConflictError);
    expect(server.seen).toHaveLength(2);
  });

  it('fails when a target does not exist', async () => {
    const server = fakeServer(problem(404, 'not-found'));
    const { client } = clientFor(server);
    await expect(
      client.updateMany([{ collection: 'c', id: 'a' }], () => [{}]),
    ).rejects.toBeInstanceOf(NotFoundError);
  });
});

describe('staged transactions', () => {
  const staged = {
    id: 'tx1',
    state: 'open',
    expiresAt: '2030-01-01T00:00:00.000Z',
    operations: [],
  };

  it('begins, adds, reads, commits and aborts on the staged routes', async () => {
    const server = fakeServer(
      json(201, staged),
      json(200, { index: 0, operation: {} }),
      json(200, {
        ...staged,
        operations: [{ op: 'check', collection: 'c', id: 'a', ifMatch: '"1"' }],
      }),
      results({ op: 'check', version: 1 }),
      new Response(null, { status: 204 }),
    );
    const { client } = clientFor(server);
    const tx = await client.beginTransaction({ ttlSeconds: 60 });
    expect(await tx.add({ op: 'check', collection: 'c', id: 'a', ifMatch: 1 })).toBe(0);
    expect((await tx.get()).operations).toHaveLength(1);
    expect((await tx.commit()).results[0]?.version).toBe(1);
    await tx.abort();
    expect(server.calls()).toEqual([
      'POST /v1/transactions/staged',
      'POST /v1/transactions/staged/tx1/operations',
      'GET /v1/transactions/staged/tx1',
      'POST /v1/transactions/staged/tx1/commit',
      'DELETE /v1/transactions/staged/tx1',
    ]);
    expect(bodyOf(server, 0)).toEqual({ ttlSeconds: 60 });
    expect(bodyOf(server, 1)).toEqual({ op: 'check', collection: 'c', id: 'a', ifMatch: '"1"' });
  });

  it('sends a commit again after a lost answer, but never an addition', async () => {
    const server = fakeServer(
      new TypeError('socket hang up'),
      results({ op: 'check' }),
      new TypeError('reset'),
    );
    const { client } = clientFor(server);
    const tx = client.stagedTransaction('tx1');
    await tx.commit();
    expect(server.seen).toHaveLength(2);
    await expect(
      tx.add({ op: 'delete', collection: 'c', id: 'a', ifMatch: 1 }),
    ).rejects.toBeInstanceOf(NetworkError);
    expect(server.seen).toHaveLength(3);
  });
});
