/**
 * The local server's client answers a transaction only after a barrier read
 * (see local/commit-barrier.ts). These tests check the wiring against the
 * shared DynamoDB Local; the SIGKILL proof is the stress suite's crash test.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { GetCommand, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { UnconfirmedWriteError } from '../../functions/store/failures';
import { awaitLocalCommits } from '../../local/commit-barrier';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../local/dynamo-local';
import { createTestTable, testDocumentClient, testEndpoint } from '../helpers/local-dynamo';

let table: string;
beforeAll(async () => {
  table = await createTestTable();
});

/** A barrier client that records the commands it sends. */
const recordingClient = (endpoint: string): { client: DynamoDBClient; sent: string[] } => {
  const client = new DynamoDBClient({
    endpoint,
    region: LOCAL_REGION,
    credentials: LOCAL_CREDENTIALS,
    maxAttempts: 1,
  });
  const sent: string[] = [];
  client.middlewareStack.add(
    (next, context) => (args) => {
      sent.push(context.commandName ?? '');
      return next(args);
    },
    { step: 'initialize' },
  );
  return { client, sent };
};

const put = (id: string) =>
  new TransactWriteCommand({
    TransactItems: [
      { Put: { TableName: table, Item: { pk: `T#barrier#${id}`, sk: 'a' } } },
      { Put: { TableName: table, Item: { pk: `T#barrier#${id}`, sk: 'b' } } },
    ],
  });

describe('awaitLocalCommits', () => {
  it('follows each successful transaction with one read, and nothing else with any', async () => {
    const documents = testDocumentClient();
    const barrier = recordingClient(testEndpoint());
    awaitLocalCommits(documents, barrier.client);

    await documents.send(put('one'));
    expect(barrier.sent).toEqual(['GetItemCommand']);

    await documents.send(
      new GetCommand({ TableName: table, Key: { pk: 'T#barrier#one', sk: 'a' } }),
    );
    // A refused transaction changed nothing: there is no commit to wait for.
    await expect(
      documents.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: table,
                Item: { pk: 'T#barrier#one', sk: 'a' },
                ConditionExpression: 'attribute_not_exists(pk)',
              },
            },
          ],
        }),
      ),
    ).rejects.toThrow(/cancelled/i);
    expect(barrier.sent).toEqual(['GetItemCommand']);
    documents.destroy();
    barrier.client.destroy();
  });

  it('reports a transaction whose barrier failed as unconfirmed, not as refused', async () => {
    const documents = testDocumentClient();
    // Nothing listens on port 9 (discard): the barrier cannot be answered.
    const barrier = recordingClient('http://127.0.0.1:9');
    awaitLocalCommits(documents, barrier.client);

    const error = await documents.send(put('two')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(UnconfirmedWriteError);
    // It was applied all the same; the caller was told it may have been.
    const read = await documents.send(
      new GetCommand({ TableName: table, Key: { pk: 'T#barrier#two', sk: 'b' } }),
    );
    expect(read.Item).toBeDefined();
    documents.destroy();
    barrier.client.destroy();
  });
});
