import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, describe, expect, it } from 'vitest';
import {
  DynamoPortInUseError,
  ensureTable,
  localDynamoClient,
  startDynamoLocal,
} from '../../local/dynamo-local';
import { isAlive } from '../../local/process-group';

/** Whether anything accepts TCP connections on the port. */
const listening = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

const dir = mkdtempSync(join(tmpdir(), 'concord-dynamo-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('startDynamoLocal with a path', () => {
  it('keeps items across a restart and leaves no Java process behind', async () => {
    const key = { pk: { S: 'persist' }, sk: { S: 'I#1' } };

    const first = await startDynamoLocal({ path: dir });
    try {
      const client = localDynamoClient(first.endpoint);
      await ensureTable(client, 'concord');
      await client.send(
        new PutItemCommand({ TableName: 'concord', Item: { ...key, n: { N: '7' } } }),
      );
      client.destroy();
    } finally {
      await first.stop();
    }
    expect(isAlive(first.pid)).toBe(false);
    expect(await listening(first.port)).toBe(false);

    const second = await startDynamoLocal({ path: dir });
    try {
      const client = localDynamoClient(second.endpoint);
      await ensureTable(client, 'concord'); // exists already: must be a no-op
      const { Item } = await client.send(
        new GetItemCommand({ TableName: 'concord', Key: key, ConsistentRead: true }),
      );
      client.destroy();
      expect(Item?.n).toEqual({ N: '7' });
    } finally {
      await second.stop();
    }
    expect(isAlive(second.pid)).toBe(false);
    expect(await listening(second.port)).toBe(false);
  });

  it('refuses a relative path, which Java would resolve inside node_modules', async () => {
    await expect(startDynamoLocal({ path: 'relative/db' })).rejects.toThrow(/absolute/);
  });

  it('names a taken port plainly instead of starting Java', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, resolve));
    const address = blocker.address();
    const port = typeof address === 'object' && address ? address.port : 0;
    try {
      const attempt = startDynamoLocal({ port });
      await expect(attempt).rejects.toThrow(DynamoPortInUseError);
      await expect(attempt).rejects.toThrow(`port ${port} is in use; set DYNAMODB_PORT=`);
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('stops twice without error', async () => {
    const dynamo = await startDynamoLocal();
    await Promise.all([dynamo.stop(), dynamo.stop()]);
    await dynamo.stop();
    expect(isAlive(dynamo.pid)).toBe(false);
  });
});
