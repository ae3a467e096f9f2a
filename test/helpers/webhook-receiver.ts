/**
 * A webhook receiver for tests: a plain node HTTP server on 127.0.0.1 that
 * records every request (raw body included) and answers as each path's
 * script says, attempt by attempt.
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface Received {
  readonly path: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What to answer the n-th request (1-based) of a path: a status, a redirect, or never. */
export type Reply = number | { status: number; location?: string; body?: string } | 'hang';

export interface Receiver {
  /** `http://127.0.0.1:<port>` */
  readonly url: string;
  readonly received: Received[];
  /** Requests received on one path. */
  on(path: string): Received[];
  /** Scripts a path's answers; unscripted paths answer 204. */
  script(path: string, reply: (attempt: number) => Reply): void;
  close(): Promise<void>;
}

export const startReceiver = async (): Promise<Receiver> => {
  const received: Received[] = [];
  const scripts = new Map<string, (attempt: number) => Reply>();
  const server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const path = request.url ?? '/';
      received.push({
        path,
        headers: request.headers,
        body: Buffer.concat(chunks).toString('utf8'),
      });
      const attempt = received.filter((r) => r.path === path).length;
      const reply = scripts.get(path)?.(attempt) ?? 204;
      if (reply === 'hang') return;
      const { status, location, body } = typeof reply === 'number' ? { status: reply } : reply;
      response.writeHead(status, location ? { location } : {});
      response.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    received,
    on: (path) => received.filter((r) => r.path === path),
    script: (path, reply) => scripts.set(path, reply),
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
};

/** Polls until `check` holds; fails with `what` after a generous bound (not a timing assertion). */
export const waitFor = async (
  check: () => boolean,
  what: string,
  boundMs = 60_000,
): Promise<void> => {
  const start = Date.now();
  while (!check()) {
    if (Date.now() - start > boundMs) throw new Error(`still waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
};
