/**
 * DynamoDB calls per API operation, with history on (as shipped), each
 * write measured without and with an Idempotency-Key side by side, and the
 * retry of the keyed one (same key, same request). Every scenario starts
 * from fresh documents; its setup is not counted. Every request also makes
 * one admission write on its API key record, counted apart.
 */
import { randomUUID } from 'node:crypto';
import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { BenchHandler, BenchRequest, CountedCall } from './bench-handler';

type Response = APIGatewayProxyStructuredResultV2;
type Headers = Record<string, string>;

interface Scenario {
  readonly name: string;
  /** Prepares a fresh document `id`; returns headers the measured request needs. */
  readonly setup?: (request: BenchRequest, id: string) => Promise<Headers | undefined>;
  readonly run: (request: BenchRequest, id: string, headers: Headers) => Promise<Response>;
  /** Reads have no keyed variant. */
  readonly read?: boolean;
}

const MERGE = { 'content-type': 'application/merge-patch+json' };
const JSON_PATCH = { 'content-type': 'application/json-patch+json' };

const create = async (request: BenchRequest, id: string, collection = 'items') => {
  const body = collection === 'people' ? { id, email: `${id}@example.com` } : { id, n: 0 };
  const response = await request('POST', `/v1/${collection}`, {}, body);
  if (response.statusCode !== 201) throw new Error(`setup: ${response.statusCode}`);
  return undefined;
};
const created = (versions: number) => async (request: BenchRequest, id: string) => {
  await create(request, id);
  for (let v = 1; v < versions; v++) {
    await request('PUT', `/v1/items/${id}`, { 'if-match': `"${v}"` }, { n: v });
  }
  return undefined;
};
const leased = async (request: BenchRequest, id: string) => {
  await create(request, id);
  const grant = await request('POST', `/v1/items/${id}/lock`);
  return { 'lock-token': JSON.parse(String(grant.body)).lockToken as string };
};

/** The headers of a leased scenario, minus the lease's token: a client that does not hold it. */
const withoutToken = ({ 'lock-token': _held, ...rest }: Headers): Headers => rest;

const SCENARIOS: Scenario[] = [
  { name: 'POST create', run: (r, id, h) => r('POST', '/v1/items', h, { id, n: 0 }) },
  {
    name: 'POST create, id exists (409)',
    setup: created(1),
    run: (r, id, h) => r('POST', '/v1/items', h, { id, n: 0 }),
  },
  {
    name: 'POST create over a deleted id',
    setup: async (r, id) => {
      await create(r, id);
      await r('DELETE', `/v1/items/${id}`, { 'if-match': '"1"' });
      return undefined;
    },
    run: (r, id, h) => r('POST', '/v1/items', h, { id, n: 0 }),
  },
  { name: 'GET', setup: created(1), run: (r, id) => r('GET', `/v1/items/${id}`), read: true },
  {
    name: 'GET If-None-Match (304)',
    setup: created(1),
    run: (r, id) => r('GET', `/v1/items/${id}`, { 'if-none-match': '"1"' }),
    read: true,
  },
  { name: 'GET list (limit 10)', run: (r) => r('GET', '/v1/items?limit=10'), read: true },
  {
    name: 'PUT If-Match',
    setup: created(1),
    run: (r, id, h) => r('PUT', `/v1/items/${id}`, { 'if-match': '"1"', ...h }, { n: 1 }),
  },
  {
    name: 'PUT stale If-Match (409)',
    setup: created(2),
    run: (r, id, h) => r('PUT', `/v1/items/${id}`, { 'if-match': '"1"', ...h }, { n: 1 }),
  },
  {
    name: 'PUT If-None-Match: * (201)',
    run: (r, id, h) => r('PUT', `/v1/items/${id}`, { 'if-none-match': '*', ...h }, { n: 1 }),
  },
  {
    name: 'PUT If-Match: * (reads first)',
    setup: created(1),
    run: (r, id, h) => r('PUT', `/v1/items/${id}`, { 'if-match': '*', ...h }, { n: 1 }),
  },
  {
    name: 'PATCH merge If-Match',
    setup: created(1),
    run: (r, id, h) =>
      r('PATCH', `/v1/items/${id}`, { ...MERGE, 'if-match': '"1"', ...h }, { n: 2 }),
  },
  {
    name: 'PATCH merge stale (409)',
    setup: created(2),
    run: (r, id, h) =>
      r('PATCH', `/v1/items/${id}`, { ...MERGE, 'if-match': '"1"', ...h }, { n: 2 }),
  },
  {
    name: 'PATCH json-patch If-Match',
    setup: created(1),
    run: (r, id, h) =>
      r('PATCH', `/v1/items/${id}`, { ...JSON_PATCH, 'if-match': '"1"', ...h }, [
        { op: 'add', path: '/m', value: 1 },
      ]),
  },
  {
    name: 'DELETE If-Match',
    setup: created(1),
    run: (r, id, h) => r('DELETE', `/v1/items/${id}`, { 'if-match': '"1"', ...h }),
  },
  {
    name: 'DELETE stale If-Match (409)',
    setup: created(2),
    run: (r, id, h) => r('DELETE', `/v1/items/${id}`, { 'if-match': '"1"', ...h }),
  },
  {
    name: 'GET versions (limit 10)',
    setup: created(3),
    run: (r, id) => r('GET', `/v1/items/${id}/versions?limit=10`),
    read: true,
  },
  {
    name: 'GET versions/1',
    setup: created(3),
    run: (r, id) => r('GET', `/v1/items/${id}/versions/1`),
    read: true,
  },
  {
    name: 'POST versions/1/restore If-Match',
    setup: created(3),
    run: (r, id, h) => r('POST', `/v1/items/${id}/versions/1/restore`, { 'if-match': '"3"', ...h }),
  },
  {
    name: 'POST lock (acquire a lease)',
    setup: created(1),
    run: (r, id, h) => r('POST', `/v1/items/${id}/lock`, h),
  },
  {
    name: 'POST lock, lease held (409)',
    setup: leased,
    run: (r, id, h) => r('POST', `/v1/items/${id}/lock`, withoutToken(h)),
  },
  {
    name: 'PUT without Lock-Token, leased (409)',
    setup: leased,
    run: (r, id, h) =>
      r('PUT', `/v1/items/${id}`, { 'if-match': '"1"', ...withoutToken(h) }, { n: 2 }),
  },
  {
    name: 'PUT with Lock-Token',
    setup: leased,
    run: (r, id, h) => r('PUT', `/v1/items/${id}`, { 'if-match': '"1"', ...h }, { n: 2 }),
  },
  {
    name: 'PUT lock (renew)',
    setup: leased,
    run: (r, id, h) => r('PUT', `/v1/items/${id}/lock`, h),
  },
  {
    name: 'DELETE lock (release)',
    setup: leased,
    run: (r, id, h) => r('DELETE', `/v1/items/${id}/lock`, h),
  },
  {
    name: 'unique field: POST create',
    run: (r, id, h) => r('POST', '/v1/people', h, { id, email: `${id}@example.com` }),
  },
  {
    name: 'unique field: POST create, value taken (409)',
    setup: async (r, id) => create(r, `${id}-holder`, 'people').then(() => undefined),
    run: (r, id, h) => r('POST', '/v1/people', h, { id, email: `${id}-holder@example.com` }),
  },
  {
    name: 'unique field: PUT If-Match (reads first)',
    setup: (r, id) => create(r, id, 'people'),
    run: (r, id, h) =>
      r('PUT', `/v1/people/${id}`, { 'if-match': '"1"', ...h }, { email: `new-${id}@example.com` }),
  },
  {
    name: 'unique field: DELETE If-Match (reads first)',
    setup: (r, id) => create(r, id, 'people'),
    run: (r, id, h) => r('DELETE', `/v1/people/${id}`, { 'if-match': '"1"', ...h }),
  },
];

/** `2: TransactGetItems, TransactWriteItems` for the operation's calls (admission apart). */
const describeCalls = (calls: readonly CountedCall[]): { admission: number; cell: string } => {
  const operation = calls
    .filter((call) => !call.admission)
    .map((call) => call.command.replace(/Command$/, ''));
  return {
    admission: calls.filter((call) => call.admission).length,
    cell: `${operation.length}${operation.length ? `: ${operation.join(', ')}` : ''}`,
  };
};

/** Runs every scenario and returns the Markdown table. */
export const measureCalls = async ({ request, takeCalls }: BenchHandler): Promise<string> => {
  const rows: string[] = [];
  const admissions = new Set<number>();
  const measured = async (run: () => Promise<Response>) => {
    takeCalls();
    const response = await run();
    const { admission, cell } = describeCalls(takeCalls());
    admissions.add(admission);
    return `${response.statusCode} | ${cell}`;
  };
  const fresh = () => `calls-${randomUUID().slice(0, 8)}`;
  for (const scenario of SCENARIOS) {
    const plainId = fresh();
    const plainHeaders = (await scenario.setup?.(request, plainId)) ?? {};
    const plain = await measured(() => scenario.run(request, plainId, plainHeaders));
    if (scenario.read) {
      rows.push(`| ${scenario.name} | ${plain} | | | | |`);
      continue;
    }
    const keyedId = fresh();
    const keyedHeaders = {
      ...((await scenario.setup?.(request, keyedId)) ?? {}),
      'idempotency-key': `bench-${randomUUID()}`,
    };
    const send = () => scenario.run(request, keyedId, keyedHeaders);
    const keyed = await measured(send);
    const retried = await measured(send);
    rows.push(`| ${scenario.name} | ${plain} | ${keyed} | ${retried} |`);
  }
  return [
    '### DynamoDB calls per API operation',
    '',
    'History on (as shipped). Each write without and with an `Idempotency-Key`, then the keyed',
    "request sent again (a client's retry). Calls exclude the one admission write every request",
    `makes on its API key record (authentication + rate limit; measured: ${[...admissions].join(', ')} per request).`,
    '',
    '| operation | status | calls | with key: status | calls | retried, same key: status | calls |',
    '|---|---|---|---|---|---|---|',
    ...rows,
  ].join('\n');
};
