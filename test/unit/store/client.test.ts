/**
 * The DynamoDB client's timeouts and retries, against a fake DynamoDB
 * endpoint on loopback that stalls or refuses on command.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { GetCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import {
  createDocumentClient,
  DEFAULT_MAX_ATTEMPTS,
  DEFAULT_REQUEST_TIMEOUT_MS,
} from '../../../functions/store/client';
import { UnconfirmedWriteError } from '../../../functions/store/failures';

type Behaviour = 'stall' | 'throttle' | 'server-error';

interface Received {
  readonly target: string;
  readonly body: Record<string, unknown>;
}

let behaviour: Behaviour = 'stall';
let received: Received[] = [];
let server: Server;
let endpoint: string;
const sockets = new Set<Socket>();

const answer = (res: ServerResponse, status: number, type: string): void => {
  res.writeHead(status, { 'content-type': 'application/x-amz-json-1.0' });
  res.end(JSON.stringify({ __type: `com.amazonaws.dynamodb.v20120810#${type}`, message: type }));
};

beforeAll(async () => {
  server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      received.push({
        target: String(req.headers['x-amz-target'] ?? ''),
        body: JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'),
      });
      if (behaviour === 'throttle') answer(res, 400, 'ProvisionedThroughputExceededException');
      if (behaviour === 'server-error') answer(res, 500, 'InternalServerError');
      // 'stall': read the request, never answer.
    });
  });
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterEach(() => {
  for (const socket of sockets) socket.destroy();
  received = [];
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const failureOf = async (send: () => Promise<unknown>): Promise<Error> => {
  try {
    await send();
  } catch (error) {
    return error as Error;
  }
  throw new Error('the request succeeded');
};

const key = { pk: 'T#t#C#items', sk: 'I#a' };
const conditionalUpdate = () =>
  new UpdateCommand({
    TableName: 'concord',
    Key: key,
    UpdateExpression: 'SET #v = :next',
    ConditionExpression: '#v = :expected',
    ExpressionAttributeNames: { '#v': 'version' },
    ExpressionAttributeValues: { ':next': 2, ':expected': 1 },
  });

describe('createDocumentClient', () => {
  it('abandons a request the database never answers, with the production timeout', async () => {
    behaviour = 'stall';
    const client = createDocumentClient({ endpoint, maxAttempts: 1 });
    try {
      const error = await failureOf(() =>
        client.send(new GetCommand({ TableName: 'concord', Key: key })),
      );
      expect(error.name).toBe('TimeoutError');
      // Without throwOnRequestTimeout the handler would only log and keep waiting.
      const handler = client.config.requestHandler as { httpHandlerConfigs(): object };
      expect(handler.httpHandlerConfigs()).toMatchObject({
        requestTimeout: DEFAULT_REQUEST_TIMEOUT_MS,
        throwOnRequestTimeout: true,
      });
    } finally {
      client.destroy();
    }
  });

  it('retries a stalled read up to maxAttempts', async () => {
    behaviour = 'stall';
    const client = createDocumentClient({ endpoint, requestTimeoutMs: 200 });
    try {
      const error = await failureOf(() =>
        client.send(new GetCommand({ TableName: 'concord', Key: key })),
      );
      expect(error.name).toBe('TimeoutError');
      expect(received.map((r) => r.target)).toEqual(
        Array(DEFAULT_MAX_ATTEMPTS).fill('DynamoDB_20120810.GetItem'),
      );
    } finally {
      client.destroy();
    }
  });

  it('sends a stalled single-item write once and reports its outcome as unknown', async () => {
    behaviour = 'stall';
    const client = createDocumentClient({ endpoint, requestTimeoutMs: 200 });
    try {
      const error = await failureOf(() => client.send(conditionalUpdate()));
      expect(error).toBeInstanceOf(UnconfirmedWriteError);
      expect((error as UnconfirmedWriteError).command).toBe('UpdateItemCommand');
      expect(received.map((r) => r.target)).toEqual(['DynamoDB_20120810.UpdateItem']);
    } finally {
      client.destroy();
    }
  });

  it('sends a write answered with a 5xx once: it may have been applied', async () => {
    behaviour = 'server-error';
    const client = createDocumentClient({ endpoint });
    try {
      expect(await failureOf(() => client.send(conditionalUpdate()))).toBeInstanceOf(
        UnconfirmedWriteError,
      );
      expect(received).toHaveLength(1);
    } finally {
      client.destroy();
    }
  });

  it('retries a throttled write: a refusal changed nothing', async () => {
    behaviour = 'throttle';
    const client = createDocumentClient({ endpoint });
    try {
      const error = await failureOf(() => client.send(conditionalUpdate()));
      expect(error.name).toBe('ProvisionedThroughputExceededException');
      expect(received).toHaveLength(DEFAULT_MAX_ATTEMPTS);
    } finally {
      client.destroy();
    }
  });

  it('retries a stalled transaction under one ClientRequestToken, which DynamoDB applies once', async () => {
    behaviour = 'stall';
    const client = createDocumentClient({ endpoint, requestTimeoutMs: 200 });
    try {
      const error = await failureOf(() =>
        client.send(
          new TransactWriteCommand({
            TransactItems: [{ Put: { TableName: 'concord', Item: { ...key, version: 1 } } }],
          }),
        ),
      );
      expect(error.name).toBe('TimeoutError');
      expect(received).toHaveLength(DEFAULT_MAX_ATTEMPTS);
      const tokens = new Set(received.map((r) => r.body.ClientRequestToken));
      expect(tokens.size).toBe(1);
      expect([...tokens][0]).toEqual(expect.any(String));
    } finally {
      client.destroy();
    }
  });
});
