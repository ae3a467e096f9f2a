import {
  IdempotentParameterMismatchException,
  TransactionCanceledException,
  TransactionInProgressException,
} from '@aws-sdk/client-dynamodb';
import {
  type DynamoDBDocumentClient,
  GetCommand,
  TransactWriteCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { IdempotencyInFlightError } from '../../../functions/core/errors';
import {
  type CheckPart,
  type DocumentPart,
  type IdempotencyPart,
  PlanRefusedError,
  type StagedClosePart,
  type WritePlan,
} from '../../../functions/core/write-plan';
import { documentCheck } from '../../../functions/store/check-requests';
import { createCommit } from '../../../functions/store/commit';
import { buildManySnapshot } from '../../../functions/store/many-snapshots';
import { buildPlanRequest } from '../../../functions/store/plan-requests';
import {
  buildStagedAbort,
  buildStagedAdd,
  buildStagedBegin,
  stagedCloseUpdate,
  toStagedRecord,
} from '../../../functions/store/staged-requests';
import { guardPut } from '../../../functions/store/unique-requests';

const KEY = { tenant: 'acme', collection: 'notes', id: 'n1' };
const AT = '2024-02-03T04:05:06.000Z';

const check = (condition: CheckPart['condition']): CheckPart => ({
  kind: 'check',
  key: KEY,
  condition,
});
const documentPart: DocumentPart = {
  kind: 'document',
  key: { ...KEY, id: 'n2' },
  body: { title: 'hi' },
  condition: { mustExist: true, versionIn: [2], expectedVersion: 2 },
  at: AT,
};
const idempotencyPart: IdempotencyPart = {
  kind: 'idempotency',
  tenant: 'acme',
  record: {
    keyHash: 'h1',
    fingerprint: 'f1',
    result: { kind: 'transaction', results: [] },
    expiresAt: 1_700_086_400,
  },
  now: 1_700_000_000,
};
const closePart: StagedClosePart = {
  kind: 'staged-close',
  tenant: 'acme',
  txId: 'tx1',
  count: 2,
  now: 1_700_000_000_000,
  result: [],
  keepUntil: 1_700_086_400,
};

describe('documentCheck', () => {
  it('checks the client condition pinned to a version, naming only the attributes it uses', () => {
    expect(
      documentCheck('items', check({ mustExist: true, versionIn: [3], expectedVersion: 3 })),
    ).toEqual({
      TableName: 'items',
      Key: { pk: 'T#acme#C#notes', sk: 'I#n1' },
      ConditionExpression: '#state = :live AND #version = :expected',
      ExpressionAttributeNames: { '#version': 'version', '#state': 'state' },
      ExpressionAttributeValues: { ':expected': 3, ':live': 'live' },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
    // DynamoDB refuses unused names: an absence check names only #state.
    expect(documentCheck('items', check({ mustBeAbsent: true })).ExpressionAttributeNames).toEqual({
      '#state': 'state',
    });
  });

  it('checks the lease of a presented token', () => {
    const token = { fencing: 4, leaseId: 'L'.repeat(24) };
    const built = documentCheck('items', check({ mustExist: true, lease: { now: 10, token } }));
    expect(built.ConditionExpression).toBe(
      '#state = :live AND #fencing = :fencing AND (attribute_not_exists(#leaseExpiresAt) OR #leaseExpiresAt <= :leaseNow OR #leaseId = :leaseId)',
    );
  });

  it('stands in for an operation known to fail with a condition that never holds', () => {
    expect(documentCheck('items', { ...check({}), never: true })).toEqual({
      TableName: 'items',
      Key: { pk: 'T#acme#C#notes', sk: 'I#n1' },
      ConditionExpression: 'attribute_exists(#version) AND attribute_not_exists(#version)',
      ExpressionAttributeNames: { '#version': 'version' },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });
});

describe('buildPlanRequest for transactions', () => {
  it('sends a lone check as a transaction, since a condition check exists only there', () => {
    const request = buildPlanRequest('items', { parts: [check({ mustBeAbsent: true })] });
    expect(request.kind).toBe('transaction');
  });

  it('carries the request token as the ClientRequestToken', () => {
    const plan: WritePlan = { parts: [documentPart, idempotencyPart], requestToken: 'tok' };
    expect(buildPlanRequest('items', plan).input).toMatchObject({ ClientRequestToken: 'tok' });
    expect(buildPlanRequest('items', { parts: plan.parts }).input).not.toHaveProperty(
      'ClientRequestToken',
    );
  });
});

describe('guardPut of a value handed over inside a transaction', () => {
  it('takes the guard over from the document that releases it in the same transaction', () => {
    const put = guardPut('items', {
      kind: 'unique-claim',
      key: KEY,
      field: 'email',
      valueHash: 'h',
      from: 'n0',
    });
    expect(put.ConditionExpression).toBe(
      'attribute_not_exists(#pk) OR #owner = :owner OR #owner = :from',
    );
    expect(put.ExpressionAttributeValues).toEqual({ ':owner': 'n1', ':from': 'n0' });
  });
});

describe('staged transaction requests', () => {
  it('begins an open record that expires (TTL) well after its deadline', () => {
    const put = buildStagedBegin('items', 'acme', {
      id: 'tx1',
      deadline: 5_000,
      createdAt: AT,
      keepUntil: 90_000,
    });
    expect(put.Item).toEqual({
      pk: 'T#acme#TX#tx1',
      sk: 'TX',
      id: 'tx1',
      state: 'open',
      deadline: 5_000,
      createdAt: AT,
      operations: [],
      cost: 0,
      count: 0,
      expiresAt: 90_000,
    });
    expect(put.ConditionExpression).toBe('attribute_not_exists(#pk)');
  });

  it('appends an operation only while open, unexpired, with room, and naming a new document', () => {
    const update = buildStagedAdd('items', 'acme', 'tx1', {
      operation: { op: 'check', collection: 'notes', id: 'n1', preconditions: { ifMatch: '*' } },
      document: '["notes","n1"]',
      cost: 3,
      budget: 99,
      now: 1_000,
    });
    expect(update.ConditionExpression).toBe(
      '#state = :open AND #deadline > :now AND #cost <= :room AND (attribute_not_exists(#documents) OR NOT contains(#documents, :document))',
    );
    expect(update.UpdateExpression).toBe(
      'SET #operations = list_append(#operations, :operation), #cost = #cost + :cost, #count = #count + :one ADD #documents :documents',
    );
    expect(update.ExpressionAttributeValues).toMatchObject({
      ':room': 96,
      ':now': 1_000,
      ':documents': new Set(['["notes","n1"]']),
    });
    expect(update).toMatchObject({
      ReturnValues: 'UPDATED_NEW',
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    });
  });

  it('closes on commit only if no operation was added since the commit read them', () => {
    const update = stagedCloseUpdate('items', closePart);
    expect(update.ConditionExpression).toBe(
      '#state = :open AND #deadline > :now AND #count = :count',
    );
    expect(update.UpdateExpression).toBe(
      'SET #state = :closed, #expiresAt = :keep, #closedAt = :closedAt, #results = :results REMOVE #operations, #documents',
    );
    expect(update.ExpressionAttributeValues).toMatchObject({ ':closed': 'committed', ':count': 2 });
  });

  it('aborts only an open, unexpired transaction', () => {
    const update = buildStagedAbort('items', 'acme', 'tx1', { now: 1, keepUntil: 2 });
    expect(update.ConditionExpression).toBe('#state = :open AND #deadline > :now');
    expect(update.ExpressionAttributeValues).toMatchObject({ ':closed': 'aborted' });
  });

  it('reads a stored record back', () => {
    const operation = {
      op: 'check',
      collection: 'notes',
      id: 'n1',
      preconditions: { ifMatch: '*' },
    };
    expect(
      toStagedRecord({
        id: 'tx1',
        state: 'open',
        deadline: 5,
        createdAt: AT,
        operations: [JSON.stringify(operation)],
        cost: 1,
        count: 1,
      }),
    ).toEqual({
      id: 'tx1',
      state: 'open',
      deadline: 5,
      createdAt: AT,
      operations: [operation],
      cost: 1,
    });
  });
});

describe('buildManySnapshot', () => {
  it('reads one document with one consistent GetItem', () => {
    expect(buildManySnapshot('items', [KEY])).toMatchObject({
      kind: 'get',
      input: { ConsistentRead: true },
    });
  });

  it('reads several documents, then the idempotency record, in one TransactGetItems', () => {
    const request = buildManySnapshot('items', [KEY, { ...KEY, id: 'n2' }], {
      tenant: 'acme',
      keyHash: 'h1',
    });
    expect(request.kind).toBe('transaction');
    expect(
      (request.input as { TransactItems: Array<{ Get: { Key: unknown } }> }).TransactItems.map(
        (item) => item.Get.Key,
      ),
    ).toEqual([
      { pk: 'T#acme#C#notes', sk: 'I#n1' },
      { pk: 'T#acme#C#notes', sk: 'I#n2' },
      { pk: 'T#acme#IK#h1', sk: 'IK' },
    ]);
  });
});

type Answer = Record<string, unknown> | Error;

const commitWith = (answers: Answer[]) => {
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
  return { commit: createCommit(client, 'items', { sleep: async () => {} }), sent };
};

const mismatch = () =>
  new IdempotentParameterMismatchException({
    message: 'mismatch',
    $metadata: { httpStatusCode: 400 },
  });
const keyed: WritePlan = { parts: [documentPart, idempotencyPart], requestToken: 'tok' };

describe('commit of a keyed transaction', () => {
  it('answers a token seen with other parameters from the stored record, as its refusal', async () => {
    const stored = {
      pk: 'T#acme#IK#h1',
      sk: 'IK',
      fingerprint: 'f1',
      result: JSON.stringify({ kind: 'transaction', results: [] }),
      expiresAt: 1_700_086_400,
    };
    const { commit, sent } = commitWith([mismatch(), { Item: stored }]);
    const error = await commit(keyed).catch((e: unknown) => e);
    expect(sent.map((s) => s.name)).toEqual([TransactWriteCommand.name, GetCommand.name]);
    expect(error).toBeInstanceOf(PlanRefusedError);
    expect((error as PlanRefusedError).refusals).toEqual([
      undefined,
      { kind: 'idempotency', record: expect.objectContaining({ fingerprint: 'f1' }) },
    ]);
  });

  it('sends again without the token when no record shows an earlier commit', async () => {
    const { commit, sent } = commitWith([mismatch(), {}, {}]);
    await expect(commit(keyed)).resolves.toEqual({});
    expect(sent[2]?.input).not.toHaveProperty('ClientRequestToken');
    expect(sent[2]?.input.TransactItems).toEqual(sent[0]?.input.TransactItems);
  });

  it('answers the same request in progress as idempotency-in-flight', async () => {
    const { commit } = commitWith([
      new TransactionInProgressException({ message: 'busy', $metadata: { httpStatusCode: 400 } }),
    ]);
    await expect(commit(keyed)).rejects.toBeInstanceOf(IdempotencyInFlightError);
  });

  it('explains refused checks and closings with the records returned', async () => {
    const refused = new TransactionCanceledException({
      message: 'cancelled',
      $metadata: { httpStatusCode: 400 },
      CancellationReasons: [
        {
          Code: 'ConditionalCheckFailed',
          Item: marshall({ id: 'n1', version: 4, state: 'live', body: '{}', updatedAt: AT }),
        },
        {
          Code: 'ConditionalCheckFailed',
          Item: marshall({ id: 'tx1', state: 'committed', deadline: 9, results: '[]', cost: 1 }),
        },
      ],
    });
    const { commit } = commitWith([refused]);
    const error = (await commit({ parts: [check({ mustExist: true }), closePart] }).catch(
      (e: unknown) => e,
    )) as PlanRefusedError;
    expect(error.refusals).toEqual([
      { kind: 'check', current: expect.objectContaining({ version: 4 }) },
      {
        kind: 'staged-close',
        current: expect.objectContaining({ state: 'committed', results: [] }),
      },
    ]);
  });
});
