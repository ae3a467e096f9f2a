/** Free ports for DynamoDB Local, and a taken one reported plainly. */
import { createServer } from 'node:net';

/** Asks the OS for a free TCP port on loopback. */
export const freePort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });

/** The port asked for DynamoDB Local is taken; the message is fit to show as is. */
export class DynamoPortInUseError extends Error {
  constructor(port: number) {
    super(`DynamoDB Local port ${port} is in use; set DYNAMODB_PORT=<another port> or unset it`);
    this.name = 'DynamoPortInUseError';
  }
}

/**
 * Java would report a taken port as a stack trace after a second of JVM
 * start-up; probing first (on all interfaces, as Java binds) says it plainly.
 */
export const assertPortFree = (port: number): Promise<void> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) =>
      reject(error.code === 'EADDRINUSE' ? new DynamoPortInUseError(port) : error),
    );
    probe.listen(port, () => probe.close(() => resolve()));
  });
