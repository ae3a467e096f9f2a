/**
 * A keyed transaction also carries a DynamoDB ClientRequestToken derived
 * from its Idempotency-Key: a second guard besides its idempotency record.
 * DynamoDB answers a token it saw within 10 minutes, sent with other
 * parameters (a repeat builds its plan anew, with new timestamps), with
 * IdempotentParameterMismatchException. The earlier request then committed,
 * and its idempotency record holds the answer: it is read and reported as
 * that record's refusal, which the domain turns into the replay. Without a
 * record the earlier use committed nothing (it was refused), so the
 * request goes again without the token. The same request still running is
 * a TransactionInProgressException: a duplicate in flight.
 */
import { type DynamoDBDocumentClient, GetCommand } from '@aws-sdk/lib-dynamodb';
import { IdempotencyInFlightError } from '../core/errors';
import { type CommitResult, PlanRefusedError, type WritePlan } from '../core/write-plan';
import { translateFailures } from './failures';
import { idempotencyKey, toIdempotencyRecord } from './idempotency-requests';
import type { PlanRequest } from './transact-items';

export const sendWithRequestToken = async (
  client: DynamoDBDocumentClient,
  tableName: string,
  plan: WritePlan,
  request: PlanRequest,
  send: (request: PlanRequest) => Promise<CommitResult>,
): Promise<CommitResult> => {
  try {
    return await send(request);
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name === 'TransactionInProgressException') {
      throw new IdempotencyInFlightError(
        'a request with this Idempotency-Key is being written; retry shortly',
        { cause: error },
      );
    }
    if (name !== 'IdempotentParameterMismatchException' || request.kind !== 'transaction') {
      throw error;
    }
    const index = plan.parts.findIndex((part) => part.kind === 'idempotency');
    const part = plan.parts[index];
    if (part?.kind === 'idempotency') {
      const { keyHash } = part.record;
      const { Item } = await translateFailures(() =>
        client.send(
          new GetCommand({
            TableName: tableName,
            Key: idempotencyKey(part.tenant, keyHash),
            ConsistentRead: true,
          }),
        ),
      );
      if (Item) {
        const record = toIdempotencyRecord(Item, keyHash);
        throw new PlanRefusedError(
          plan.parts.map((_, i) => (i === index ? { kind: 'idempotency', record } : undefined)),
        );
      }
    }
    const { ClientRequestToken: _used, ...input } = request.input;
    return send({ kind: 'transaction', input });
  }
};
