/**
 * The crash checker must catch what it is there to catch: run against a
 * fake API whose storage the test then damages, it must report a lost
 * acknowledged write and a body no write made, and settle writes of
 * unknown outcome by what is stored.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Ledger, newTally, readAll, type Tally } from '../../stress/lib/acknowledged-writes';

type Doc = Record<string, unknown> & { version: number };
const stored = new Map<string, Doc>();
/** What the next PUTs do besides the normal thing, in order. */
let faults: Array<'applied-then-503' | '503'> = [];
let server: Server;
let baseUrl: string;

const answer = (res: ServerResponse, status: number, body?: unknown): void => {
  const problem = status >= 400;
  res.writeHead(status, {
    'content-type': problem ? 'application/problem+json' : 'application/json',
    ...(status === 503 ? { 'retry-after': '1' } : {}),
  });
  res.end(body === undefined ? '' : JSON.stringify(body));
};

// Just enough of the API: PUT with If-Match / If-None-Match: *, and GET.
const fakeApi = (req: IncomingMessage, res: ServerResponse): void => {
  const id = decodeURIComponent((req.url ?? '').split('/').at(-1) ?? '');
  const chunks: Buffer[] = [];
  req.on('data', (chunk: Buffer) => chunks.push(chunk));
  req.on('end', () => {
    const current = stored.get(id);
    if (req.method === 'GET') return current ? answer(res, 200, current) : answer(res, 404, {});
    const expected =
      req.headers['if-none-match'] === '*'
        ? 0
        : Number(String(req.headers['if-match']).replaceAll('"', ''));
    if ((current?.version ?? 0) !== expected) return answer(res, 409, {});
    const fault = faults.shift();
    if (fault === '503') return answer(res, 503, {});
    const doc: Doc = { id, version: expected + 1, ...JSON.parse(Buffer.concat(chunks).toString()) };
    stored.set(id, doc);
    return fault === 'applied-then-503'
      ? answer(res, 503, {})
      : answer(res, expected ? 200 : 201, doc);
  });
};

beforeAll(async () => {
  server = createServer(fakeApi);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));
beforeEach(() => {
  stored.clear();
  faults = [];
});

/** Two writers until `acknowledged` writes are acknowledged. */
const load = async (ledger: Ledger, acknowledged: number): Promise<Tally> => {
  const tally = newTally();
  const stop = () => tally.acknowledged >= acknowledged;
  await Promise.all(
    [0, 1].map((client) => ledger.write({ client, baseUrl, auth: {}, tally, stop, documents: 2 })),
  );
  return tally;
};

const check = async (ledger: Ledger) => ledger.verify(await readAll(baseUrl, {}, ledger.ids()));

describe('Ledger', () => {
  it('finds nothing wrong when every acknowledged write is stored', async () => {
    const ledger = new Ledger();
    const tally = await load(ledger, 40);
    const result = await check(ledger);
    expect(result.problems).toEqual([]);
    expect(result.acknowledged).toBe(tally.acknowledged);
    expect(tally.violations).toEqual([]);
  });

  it('reports an acknowledged write that is gone', async () => {
    const ledger = new Ledger();
    await load(ledger, 20);
    const [id, doc] = [...stored.entries()].find(([, d]) => d.version >= 2) as [string, Doc];
    stored.set(id, { ...doc, version: doc.version - 1 });
    expect((await check(ledger)).problems).toEqual([
      expect.stringMatching(
        new RegExp(
          `^${id}: at version ${doc.version - 1}, but version ${doc.version} was acknowledged`,
        ),
      ),
    ]);
  });

  it('reports a stored body that no write made whole', async () => {
    const ledger = new Ledger();
    await load(ledger, 20);
    const [id, doc] = [...stored.entries()][0] as [string, Doc];
    stored.set(id, { ...doc, note: 'half of one write, half of another' });
    expect((await check(ledger)).problems).toEqual([
      expect.stringContaining(`${id}: version ${doc.version} holds`),
    ]);
  });

  it('settles writes of unknown outcome by what is stored: applied whole, or absent', async () => {
    const ledger = new Ledger();
    faults = ['applied-then-503', '503'];
    const tally = await load(ledger, 20);
    expect(tally.statuses[503]).toBe(2);
    const result = await check(ledger);
    expect(result.problems).toEqual([]);
    expect(result.unknownApplied).toBe(1);
    expect(result.unknownAbsent).toBe(1);
  });

  it('counts a 500 as a violation', async () => {
    const ledger = new Ledger();
    const broken = createServer((_req, res) => answer(res, 500, {}));
    await new Promise<void>((resolve) => broken.listen(0, '127.0.0.1', resolve));
    const tally = newTally();
    let calls = 0;
    await ledger.write({
      client: 0,
      baseUrl: `http://127.0.0.1:${(broken.address() as AddressInfo).port}`,
      auth: {},
      tally,
      stop: () => ++calls > 3,
      documents: 1,
    });
    await new Promise<void>((resolve) => broken.close(() => resolve()));
    expect(tally.violations.length).toBeGreaterThan(0);
    expect(tally.violations[0]).toMatch(/^500 /);
  });
});
