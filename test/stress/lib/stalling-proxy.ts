/**
 * A TCP proxy in front of DynamoDB Local that can stall: while stalled, it
 * accepts what the SDK sends and forwards nothing, like a connection whose
 * peer went silent. The SDK's own timeouts are then all that can end a call.
 */
import { connect, createServer, type Socket } from 'node:net';

export interface StallingProxy {
  /** e.g. `http://127.0.0.1:41234`, to use as the DynamoDB endpoint. */
  readonly endpoint: string;
  /** How many requests arriving from now on are swallowed (0: forward everything). */
  stallNext(requests: number): void;
  /** Requests swallowed so far. */
  readonly stalled: () => number;
  close(): Promise<void>;
}

export const startStallingProxy = async (upstream: string): Promise<StallingProxy> => {
  const target = new URL(upstream);
  const sockets = new Set<Socket>();
  let toStall = 0;
  let stalled = 0;
  const server = createServer((client) => {
    const server = connect(Number(target.port), target.hostname);
    let silent = false;
    for (const socket of [client, server]) {
      sockets.add(socket);
      socket.on('error', () => undefined);
      socket.on('close', () => sockets.delete(socket));
    }
    client.on('close', () => server.destroy());
    server.on('close', () => client.destroy());
    server.on('data', (chunk) => client.write(chunk));
    client.on('data', (chunk) => {
      // Each DynamoDB call starts with `POST / HTTP/1.1`; a stalled connection stays silent.
      if (!silent && toStall > 0 && chunk.subarray(0, 5).toString('latin1') === 'POST ') {
        toStall--;
        stalled++;
        silent = true;
      }
      if (!silent) server.write(chunk);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stallNext: (requests) => {
      toStall = requests;
    },
    stalled: () => stalled,
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
};
