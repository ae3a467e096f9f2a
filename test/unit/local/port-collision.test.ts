/**
 * Two starts can pick the same free port. The Java that loses the race
 * neither exits nor reports it, so the winner's answers must not be taken
 * for its own. Real DynamoDB Local processes; only the choice of the free
 * port is forced, to make the race happen every time.
 */
import { createServer } from 'node:net';
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { DynamoLocal } from '../../../local/dynamo-local';
import { listensOn } from '../../../local/process-group';

const forced: number[] = [];
vi.mock('../../../local/ports', async (importOriginal) => {
  const actual = await importOriginal<typeof import('../../../local/ports')>();
  return { ...actual, freePort: async () => forced.shift() ?? actual.freePort() };
});
const { startDynamoLocal } = await import('../../../local/dynamo-local');

const started: DynamoLocal[] = [];
afterAll(async () => {
  for (const dynamo of started) await dynamo.stop();
});

describe('listensOn', () => {
  it('tells which process holds a listening socket on a port', async () => {
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const port = (server.address() as { port: number }).port;
    try {
      expect(listensOn(process.pid, port)).toBe(true);
      expect(listensOn(process.ppid, port)).toBe(false);
    } finally {
      server.close();
    }
    expect(listensOn(process.pid, port)).toBe(false);
  });
});

describe('startDynamoLocal on a port another DynamoDB Local took first', () => {
  it('does not take the other instance for its own, and starts on another port', async () => {
    const first = await startDynamoLocal();
    started.push(first);
    forced.push(first.port);

    const second = await startDynamoLocal();
    started.push(second);
    expect(second.port).not.toBe(first.port);
    expect(listensOn(second.pid, second.port)).toBe(true);
    expect(listensOn(second.pid, first.port)).toBe(false);
  }, 120_000);
});
