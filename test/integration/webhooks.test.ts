/**
 * Webhooks end to end: documents written through HTTP, the table's stream
 * read from DynamoDB Local by the reader `npm start` uses, events delivered
 * by the same code as the stream function, to a receiver on loopback (local
 * mode), and verified with the client's helper.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { verifyWebhook, WebhookVerificationError } from '../../client/webhooks';
import { createApiKey } from '../../functions/core/key-admin';
import type { Delivery } from '../../functions/core/webhook-delivery';
import { createStreamProcessor } from '../../functions/http/webhook-stream';
import { createWebhookTransport } from '../../functions/http/webhook-transport';
import { createDynamoSubscriptionStore } from '../../functions/store/dynamo-subscription-store';
import { type StreamReader, startStreamReader } from '../../local/stream-reader';
import { authedSender, freshId } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';
import { testEndpoint, uniqueName } from '../helpers/local-dynamo';
import { type Receiver, startReceiver, waitFor } from '../helpers/webhook-receiver';

let api: TestApi;
let receiver: Receiver;
let reader: StreamReader;
let call: ReturnType<typeof authedSender>;
/** Every delivery the processor finished, in the order batches completed. */
const done: Delivery[] = [];

beforeAll(async () => {
  [api, receiver] = await Promise.all([startApi({ localMode: true }), startReceiver()]);
  call = authedSender(api.baseUrl, api.headers);
  const processor = createStreamProcessor({
    subscriptions: createDynamoSubscriptionStore({ client: api.client, tableName: api.tableName }),
    transport: createWebhookTransport({ policy: { localMode: true }, timeoutMs: 1_500 }),
    retry: { attempts: 3, baseDelayMs: 20, maxDelayMs: 100 },
  });
  reader = startStreamReader({
    endpoint: testEndpoint(),
    tableName: api.tableName,
    from: 'trim-horizon',
    pollMs: 50,
    onRecords: async (records) => {
      const { deliveries } = await processor.process(records);
      done.push(...deliveries.flat());
    },
  });
  await reader.ready;
});
afterAll(async () => {
  await reader?.close();
  await Promise.all([api?.close(), receiver?.close()]);
});

const subscribe = async (
  path: string,
  events: string[],
  extra: Record<string, unknown> = {},
): Promise<{ id: string; secret: string }> => {
  const answer = await call('POST', '/v1/subscriptions', {
    body: { url: `${receiver.url}${path}`, events, ...extra },
  });
  expect(answer.status).toBe(201);
  return answer.body;
};

const eventsOn = (path: string) =>
  receiver
    .on(path)
    .map((r) => JSON.parse(r.body) as { id: string; type: string; data: Record<string, unknown> });

/** Writes a document and waits until its creation has been processed: everything before it has been too. */
const settle = async (): Promise<void> => {
  const path = `/sentinel-${freshId()}`;
  const sentinel = await subscribe(path, ['document.created']);
  const id = freshId();
  await call('POST', '/v1/items', { body: { id } });
  await waitFor(() => done.some((d) => d.subscriptionId === sentinel.id), 'the sentinel event');
};

describe('webhooks from the table stream', () => {
  it('delivers signed create, update and delete events that verify with the client helper', async () => {
    const all = await subscribe(
      '/all',
      ['document.created', 'document.updated', 'document.deleted'],
      {
        collection: 'items',
      },
    );
    const deletes = await subscribe('/deletes', ['document.deleted']);
    const id = freshId();
    const doc = `/v1/items/${id}`;
    expect((await call('POST', '/v1/items', { body: { id, n: 1 } })).status).toBe(201);
    expect(
      (await call('PUT', doc, { body: { n: 2 }, headers: { 'if-match': '"1"' } })).status,
    ).toBe(200);
    // A lease changes the record but not the document: no event.
    const lease = await call('POST', `${doc}/lock`);
    await call('DELETE', `${doc}/lock`, { headers: { 'lock-token': lease.body.lockToken } });
    expect((await call('DELETE', doc, { headers: { 'if-match': '"2"' } })).status).toBe(204);
    // Another tenant's change never reaches this tenant's subscribers.
    const { key } = await createApiKey(api.keys, {
      tenant: uniqueName('other'),
      scopes: ['write'],
      quota: 100,
    });
    await authedSender(api.baseUrl, { authorization: `Bearer ${key}` })('POST', '/v1/items', {
      body: { id },
    });
    await settle();

    const mine = receiver
      .on('/all')
      .filter((r) => (JSON.parse(r.body) as { data: { id: string } }).data.id === id);
    const events = await Promise.all(
      mine.map((r) => verifyWebhook(r.body, r.headers['concord-signature'] as string, all.secret)),
    );
    expect(events.map((e) => [e.type, e.data.version])).toEqual([
      ['document.created', 1],
      ['document.updated', 2],
      ['document.deleted', 3],
    ]);
    expect(events[0]?.data).toEqual({
      collection: 'items',
      id,
      version: 1,
      etag: '"1"',
      document: { id, version: 1, n: 1 },
    });
    expect(events[1]?.data.document).toEqual({ id, version: 2, n: 2 });
    expect(new Set(events.map((e) => e.id)).size).toBe(3);
    for (const [i, r] of mine.entries()) {
      expect(r.headers['content-type']).toBe('application/json');
      expect(r.headers['concord-event-id']).toBe(events[i]?.id);
      expect(r.headers['concord-signature']).toMatch(/^t=\d+,v1=[0-9a-f]{64}$/);
    }
    // Filtered by type: only the deletion.
    expect(
      eventsOn('/deletes')
        .filter((e) => e.data.id === id)
        .map((e) => e.type),
    ).toEqual(['document.deleted']);
    await verifyWebhook(
      receiver.on('/deletes')[0]?.body ?? '',
      receiver.on('/deletes')[0]?.headers['concord-signature'] as string,
      deletes.secret,
    );
  });

  it('fails verification for a tampered body, another secret, an old timestamp or no header', async () => {
    const hook = await subscribe('/verify', ['document.created']);
    await call('POST', '/v1/items', { body: { id: freshId(), amount: 10 } });
    await waitFor(() => receiver.on('/verify').length > 0, 'the delivery');
    const [delivery] = receiver.on('/verify');
    const body = delivery?.body ?? '';
    const header = delivery?.headers['concord-signature'] as string;
    await expect(verifyWebhook(body, header, hook.secret)).resolves.toMatchObject({
      type: 'document.created',
    });
    const tampered = body.replace('"amount":10', '"amount":1000');
    expect(tampered).not.toBe(body);
    await expect(verifyWebhook(tampered, header, hook.secret)).rejects.toThrow(
      WebhookVerificationError,
    );
    await expect(verifyWebhook(body, header, 'whsec_another')).rejects.toThrow(
      WebhookVerificationError,
    );
    const t = Number(/t=(\d+)/.exec(header)?.[1]);
    await expect(
      verifyWebhook(body, header, hook.secret, { now: () => (t + 301) * 1000 }),
    ).rejects.toThrow(/timestamp/);
    await expect(
      verifyWebhook(body, header, hook.secret, { now: () => (t + 299) * 1000 }),
    ).resolves.toBeDefined();
    await expect(verifyWebhook(body, undefined, hook.secret)).rejects.toThrow(
      WebhookVerificationError,
    );
  });

  it('retries a 5xx answer with backoff and delivers the same event id', async () => {
    receiver.script('/flaky', (attempt) => (attempt <= 2 ? 503 : 200));
    const hook = await subscribe('/flaky', ['document.created']);
    await call('POST', '/v1/items', { body: { id: freshId() } });
    await waitFor(() => done.some((d) => d.subscriptionId === hook.id), 'the flaky delivery');
    const delivery = done.find((d) => d.subscriptionId === hook.id);
    expect(delivery?.attempts).toBe(3);
    expect(delivery?.outcome).toEqual({ kind: 'delivered', status: 200 });
    const attempts = receiver.on('/flaky');
    expect(attempts).toHaveLength(3);
    expect(new Set(attempts.map((a) => a.headers['concord-event-id'])).size).toBe(1);
    for (const attempt of attempts) {
      await verifyWebhook(
        attempt.body,
        attempt.headers['concord-signature'] as string,
        hook.secret,
      );
    }
  });

  it('retries after a receiver that does not answer in time', async () => {
    receiver.script('/slow', (attempt) => (attempt === 1 ? 'hang' : 200));
    const hook = await subscribe('/slow', ['document.created']);
    await call('POST', '/v1/items', { body: { id: freshId() } });
    await waitFor(() => done.some((d) => d.subscriptionId === hook.id), 'the slow delivery');
    expect(done.find((d) => d.subscriptionId === hook.id)).toMatchObject({
      attempts: 2,
      outcome: { kind: 'delivered', status: 200 },
    });
  });

  it('does not retry a 4xx answer', async () => {
    receiver.script('/gone', () => 410);
    const hook = await subscribe('/gone', ['document.created']);
    await call('POST', '/v1/items', { body: { id: freshId() } });
    await waitFor(() => done.some((d) => d.subscriptionId === hook.id), 'the refused delivery');
    expect(done.find((d) => d.subscriptionId === hook.id)).toMatchObject({
      attempts: 1,
      outcome: { kind: 'rejected', status: 410 },
    });
    expect(receiver.on('/gone')).toHaveLength(1);
  });

  it('does not follow a redirect', async () => {
    receiver.script('/moved', () => ({ status: 302, location: `${receiver.url}/target` }));
    const hook = await subscribe('/moved', ['document.created']);
    await call('POST', '/v1/items', { body: { id: freshId() } });
    await waitFor(() => done.some((d) => d.subscriptionId === hook.id), 'the redirected delivery');
    expect(done.find((d) => d.subscriptionId === hook.id)).toMatchObject({
      attempts: 1,
      outcome: { kind: 'rejected', status: 302 },
    });
    expect(receiver.on('/target')).toEqual([]);
  });

  it('announces a refused write as conflict.created and its resolution as conflict.resolved', async () => {
    const hook = await subscribe('/conflicts', ['conflict.created', 'conflict.resolved'], {
      collection: 'items',
    });
    const id = freshId();
    const doc = `/v1/items/${id}`;
    expect((await call('POST', '/v1/items', { body: { id, n: 1 } })).status).toBe(201);
    expect(
      (await call('PUT', doc, { body: { n: 2 }, headers: { 'if-match': '"1"' } })).status,
    ).toBe(200);
    // A stale write: refused, and recorded as a conflict.
    const stale = await call('PUT', doc, { body: { n: 3 }, headers: { 'if-match': '"1"' } });
    expect(stale.status).toBe(409);
    const conflictId = stale.body.conflict.id as string;
    const resolved = await call('POST', `/v1/conflicts/${conflictId}/resolution`, {
      body: { strategy: 'ours' },
    });
    expect(resolved.status).toBe(200);

    await waitFor(() => receiver.on('/conflicts').length >= 2, 'both conflict events');
    const events = await Promise.all(
      receiver
        .on('/conflicts')
        .map((r) => verifyWebhook(r.body, r.headers['concord-signature'] as string, hook.secret)),
    );
    expect(events.map((e) => [e.type, e.data.id, e.data.documentId, e.data.status])).toEqual([
      ['conflict.created', conflictId, id, 'open'],
      ['conflict.resolved', conflictId, id, 'resolved'],
    ]);
    expect(events[0]?.data.url).toBe(`/v1/conflicts/${conflictId}`);
  });
});
