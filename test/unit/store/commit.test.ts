import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  TransactionConflictException,
} from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import {
  IdempotencyInFlightError,
  TransactionConflictError,
  UnavailableError,
} from '../../../functions/core/errors';
import type { IdempotencyRecord } from '../../../functions/core/idempotency';
import {
  type DocumentPart,
  type IdempotencyPart,
  type LeasePart,
  PlanRefusedError,
  type WritePlan,
} from '../../../functions/core/write-plan';
import { CONFLICT_ATTEMPTS, createCommit } from '../../../functions/store/commit';
import { buildPlanRequest } from '../../../functions/store/plan-requests';

const KEY = { tenant: 'acme', collection: 'notes', id: 'n1' };
const AT = '2024-02-03T04:05:06.000Z';

const documentPart: DocumentPart = {
  kind: 'document',
  key: KEY,
  body: { title: 'hi' },
  condition: { mustExist: true, versionIn: [2], expectedVersion: 2 },
  at: AT,
};
const record: IdempotencyRecord = {
  keyHash: 'h1',
  fingerprint: 'f1',
  result: {
    kind: 'document',
    item: { id: 'n1', version: 3, etag: '"3"', document: { id: 'n1', version: 3, title: 'hi' } },
    created: false,
  },
  expiresAt: 1_700_086_400,
};
const idempotencyPart: IdempotencyPart = {
  kind: 'idempotency',
  tenant: 'acme',
  record,
  now: 1_700_000_000,
};
const acquire: LeasePart = {
  kind: 'lease',
  key: KEY,
  change: { op: 'acquire', leaseId: 'L'.repeat(24), expiresAt: 2_000, now: 1_000 },
};

const stored = (version: number) => ({
  pk: 'T#acme#C#notes',
  sk: 'I#n1',
  id: 'n1',
  version,
  state: 'live',
  body: '{"title":"theirs"}',
  updatedAt: AT,
});
const storedRecord = {
  pk: 'T#acme#IK#h1',
  sk: 'IK',
  fingerprint: 'f0',
  result: JSON.stringify(record.result),
  expiresAt: 1_700_050_000,
};

type Answer = Record<string, unknown> | Error;

/** A DocumentClient that answers (or throws) from a script and records what it was sent. */
const fakeClient = (answers: Answer[]) => {
  const sent: Array<{ name: string; input: Record<string, unknown> }> = [];
  const client = {
    send: async (command: { constructor: { name: string }; input: Record<string, unknown> }) => {
      sent.push({ name: command.constructor.name, input: command.input });
      const next = answers.shift();
      if (!next) throw new Error('unexpected request');
      if (next instanceof Error) throw next;
      return next;
    },
  } as unknown as DynamoDBDocumentClient;
  return { client, sent };
};

const cancelled = (...reasons: Array<{ Code: string; Item?: Record<string, unknown> }>) =>
  new TransactionCanceledException({
    message: 'Transaction cancelled',
    $metadata: { httpStatusCode: 400 },
    CancellationReasons: reasons.map(({ Code, Item }) => ({
      Code,
      ...(Item ? { Item: marshall(Item) } : {}),
    })),
  });
const NONE = { Code: 'None' };
const CONFLICT = { Code: 'TransactionConflict' };

const commitWith = (answers: Answer[]) => {
  const { client, sent } = fakeClient(answers);
  const waits: number[] = [];
  const commit = createCommit(client, 'items', {
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 0.5,
  });
  return { commit, sent, waits };
};

const rejection = async (promise: Promise<unknown>): Promise<unknown> => {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error('expected a rejection');
};

describe('buildPlanRequest', () => {
  it('sends a one-part plan as one UpdateItem that returns the record after', () => {
    const request = buildPlanRequest('items', { parts: [acquire] });
    expect(request.kind).toBe('update');
    expect(request.input).toMatchObject({
      ReturnValues: 'ALL_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('sends several parts as one transaction, in plan order, every condition with ALL_OLD', () => {
    const request = buildPlanRequest('items', { parts: [documentPart, idempotencyPart] });
    expect(request.kind).toBe('transaction');
    expect(request.input).toEqual({
      TransactItems: [
        { Update: expect.objectContaining({ Key: { pk: 'T#acme#C#notes', sk: 'I#n1' } }) },
        {
          Put: {
            TableName: 'items',
            Item: {
              pk: 'T#acme#IK#h1',
              sk: 'IK',
              fingerprint: 'f1',
              result: JSON.stringify(record.result),
              expiresAt: record.expiresAt,
            },
            ConditionExpression: 'attribute_not_exists(#pk) OR #expiresAt < :now',
            ExpressionAttributeNames: { '#pk': 'pk', '#expiresAt': 'expiresAt' },
            ExpressionAttributeValues: { ':now': 1_700_000_000 },
            ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          },
        },
      ],
    });
    expect(JSON.stringify(request.input)).not.toContain('"ReturnValues"');
  });
});

describe('commit', () => {
  it('returns the record after a one-part plan', async () => {
    const { commit, sent } = commitWith([
      { Attributes: { ...stored(4), leaseId: 'L'.repeat(24), leaseExpiresAt: 2_000, fencing: 7 } },
    ]);
    const result = await commit({ parts: [acquire] });
    expect(sent.map((s) => s.name)).toEqual([UpdateCommand.name]);
    expect(result.after?.lease).toEqual({ leaseId: 'L'.repeat(24), expiresAt: 2_000, fencing: 7 });
  });

  it('maps a refused lone update to its part, with the record returned', async () => {
    const { commit } = commitWith([
      new ConditionalCheckFailedException({
        message: 'The conditional request failed',
        $metadata: { httpStatusCode: 400 },
        Item: marshall(stored(5)),
      }),
    ]);
    const error = await rejection(commit({ parts: [acquire] }));
    expect(error).toBeInstanceOf(PlanRefusedError);
    expect((error as PlanRefusedError).refusals).toEqual([
      {
        kind: 'lease',
        current: expect.objectContaining({ version: 5, body: { title: 'theirs' } }),
      },
    ]);
  });

  it('reads a tombstone returned with a refusal as a deleted record with an empty body', async () => {
    const tombstone = { id: 'n1', version: 3, state: 'deleted', updatedAt: AT };
    const { commit } = commitWith([
      cancelled({ Code: 'ConditionalCheckFailed', Item: tombstone }, NONE),
    ]);
    const error = (await rejection(
      commit({ parts: [documentPart, idempotencyPart] }),
    )) as PlanRefusedError;
    expect(error.refusals[0]).toEqual({
      kind: 'document',
      current: { id: 'n1', version: 3, deleted: true, body: {}, updatedAt: AT },
    });
  });

  it('maps each cancellation reason to the part at its index, with its record', async () => {
    const { commit, sent } = commitWith([
      cancelled(
        { Code: 'ConditionalCheckFailed', Item: stored(3) },
        { Code: 'ConditionalCheckFailed', Item: storedRecord },
      ),
    ]);
    const plan: WritePlan = { parts: [documentPart, idempotencyPart] };
    const error = (await rejection(commit(plan))) as PlanRefusedError;
    expect(sent.map((s) => s.name)).toEqual([TransactWriteCommand.name]);
    expect(error.refusalOf(plan, 'document')?.current?.version).toBe(3);
    expect(error.refusalOf(plan, 'idempotency')?.record).toEqual({
      keyHash: 'h1',
      fingerprint: 'f0',
      result: record.result,
      expiresAt: 1_700_050_000,
    });
  });

  it('leaves parts whose conditions held without a refusal', async () => {
    const { commit } = commitWith([
      cancelled({ Code: 'ConditionalCheckFailed', Item: stored(3) }, NONE),
    ]);
    const error = (await rejection(
      commit({ parts: [documentPart, idempotencyPart] }),
    )) as PlanRefusedError;
    expect(error.refusals[1]).toBeUndefined();
    expect(error.refusals[0]?.kind).toBe('document');
  });

  it('answers idempotency-in-flight at once when the idempotency record is in another transaction', async () => {
    const { commit, sent } = commitWith([cancelled(NONE, CONFLICT)]);
    const error = await rejection(commit({ parts: [documentPart, idempotencyPart] }));
    expect(error).toBeInstanceOf(IdempotencyInFlightError);
    expect(sent).toHaveLength(1);
  });

  it('sends the same request again after a jittered wait when others hold a record', async () => {
    const { commit, sent, waits } = commitWith([
      cancelled(CONFLICT, NONE),
      cancelled(CONFLICT, NONE),
      {},
    ]);
    await expect(commit({ parts: [documentPart, idempotencyPart] })).resolves.toEqual({});
    expect(sent).toHaveLength(3);
    expect(sent[2]?.input).toEqual(sent[0]?.input);
    expect(waits).toEqual([12.5, 25]);
  });

  it('retries a lone update that met a transaction', async () => {
    const conflict = new TransactionConflictException({
      message: 'Transaction is ongoing for the item',
      $metadata: { httpStatusCode: 400 },
    });
    const { commit, sent } = commitWith([conflict, { Attributes: stored(1) }]);
    await commit({ parts: [acquire] });
    expect(sent).toHaveLength(2);
  });

  it('gives up with a retryable transaction-conflict after a few attempts', async () => {
    const answers = Array.from({ length: CONFLICT_ATTEMPTS }, () => cancelled(CONFLICT, NONE));
    const { commit, sent } = commitWith(answers);
    const second = { ...documentPart, key: { ...KEY, id: 'n2' } };
    const error = await rejection(commit({ parts: [documentPart, second] }));
    expect(error).toBeInstanceOf(TransactionConflictError);
    expect((error as TransactionConflictError).retryable).toBe(true);
    expect(sent).toHaveLength(CONFLICT_ATTEMPTS);
  });

  it('gives up with idempotency-in-flight when a keyed write keeps meeting others', async () => {
    const answers = Array.from({ length: CONFLICT_ATTEMPTS }, () => cancelled(CONFLICT, NONE));
    const { commit } = commitWith(answers);
    const error = await rejection(commit({ parts: [documentPart, idempotencyPart] }));
    expect(error).toBeInstanceOf(IdempotencyInFlightError);
  });

  it('answers a refusal rather than a conflict when both come back', async () => {
    const { commit } = commitWith([
      cancelled({ Code: 'ConditionalCheckFailed', Item: stored(9) }, CONFLICT),
    ]);
    const second = { ...documentPart, key: { ...KEY, id: 'n2' } };
    await expect(commit({ parts: [documentPart, second] })).rejects.toBeInstanceOf(
      PlanRefusedError,
    );
  });

  it('turns throttling inside a transaction into a 503', async () => {
    const { commit } = commitWith([cancelled({ Code: 'ThrottlingError' }, NONE)]);
    await expect(commit({ parts: [documentPart, idempotencyPart] })).rejects.toBeInstanceOf(
      UnavailableError,
    );
  });

  it('rethrows what it cannot explain', async () => {
    const { commit } = commitWith([cancelled({ Code: 'ValidationError' }, NONE)]);
    await expect(commit({ parts: [documentPart, idempotencyPart] })).rejects.toBeInstanceOf(
      TransactionCanceledException,
    );
  });
});
