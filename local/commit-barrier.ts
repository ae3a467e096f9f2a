/**
 * DynamoDB Local answers a TransactWriteItems before the transaction is in
 * its database file: it queues the SQLite commit on its one database thread
 * and returns (`SQLiteDBAccess.commitTransaction` does not wait for the job).
 * Killed in that window, it loses a transaction it acknowledged; single-item
 * writes wait for their job and are not affected.
 *
 * That queue runs its jobs in order, one at a time, and a read waits for its
 * own job: so once a read sent after the transaction has been answered, the
 * transaction's commit has run. The local server's client therefore follows
 * every successful transaction with one consistent read of a key nothing
 * stores, before the handler sees the answer. On AWS, DynamoDB acknowledges
 * only durable writes, and the functions have no such step.
 */
import { type DynamoDBClient, GetItemCommand } from '@aws-sdk/client-dynamodb';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { UnconfirmedWriteError } from '../functions/store/failures';
import { TABLE_KEYS } from '../functions/store/keys';

/** A key no record uses: table keys start with `T#` or `KEY#`. */
export const BARRIER_KEY = {
  [TABLE_KEYS.partitionKey]: { S: 'LOCAL#commit-barrier' },
  [TABLE_KEYS.sortKey]: { S: '-' },
};

type TransactInput = {
  TransactItems?: ReadonlyArray<Record<string, { TableName?: string } | undefined>>;
};

const tableOf = (input: TransactInput): string | undefined => {
  for (const item of input.TransactItems ?? []) {
    for (const part of Object.values(item)) if (part?.TableName) return part.TableName;
  }
  return undefined;
};

/**
 * Makes `client` answer a TransactWriteItems only once DynamoDB Local has
 * committed it. The barrier read goes through `barrierClient` (a plain
 * client on the same endpoint), so it is not counted as one of the
 * request's DynamoDB calls.
 */
export const awaitLocalCommits = (
  client: DynamoDBDocumentClient,
  barrierClient: DynamoDBClient,
): void => {
  client.middlewareStack.add(
    (next, context) => async (args) => {
      const result = await next(args);
      if (context.commandName === 'TransactWriteItemsCommand') {
        const table = tableOf(args.input as TransactInput);
        if (table !== undefined) {
          try {
            await barrierClient.send(
              new GetItemCommand({ TableName: table, Key: BARRIER_KEY, ConsistentRead: true }),
            );
          } catch (error) {
            // Applied, but perhaps not durable: answered like a lost answer.
            throw new UnconfirmedWriteError('TransactWriteItemsCommand', error);
          }
        }
      }
      return result;
    },
    // Outermost: after the SDK's retries, before the store sees the answer.
    { step: 'initialize', priority: 'high', name: 'awaitLocalCommits' },
  );
};
