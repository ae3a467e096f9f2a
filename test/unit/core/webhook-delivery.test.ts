import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import type { StoredSubscription } from '../../../functions/core/subscriptions';
import {
  type AttemptOutcome,
  createWebhookDispatcher,
  type WebhookRequest,
} from '../../../functions/core/webhook-delivery';
import type { TenantEvent } from '../../../functions/core/webhook-events';

const sub = (id: string, extra: Partial<StoredSubscription> = {}): StoredSubscription => ({
  id,
  url: `https://hooks.example.com/${id}`,
  events: ['document.created'],
  createdAt: '2026-01-01T00:00:00.000Z',
  secret: `whsec_${id}`,
  ...extra,
});

const change = (
  tenant: string,
  collection = 'items',
  type = 'document.created' as const,
): TenantEvent => ({
  tenant,
  collection,
  event: {
    id: `evt_${tenant}_${collection}`,
    type,
    time: '2026-01-01T00:00:00.000Z',
    data: { collection },
  },
});

const setup = (subscriptions: Record<string, StoredSubscription[]>, answers: AttemptOutcome[]) => {
  const sent: WebhookRequest[] = [];
  const waits: number[] = [];
  const lookups: string[] = [];
  const dispatcher = createWebhookDispatcher({
    subscriptions: {
      listSubscriptions: async (tenant) => {
        lookups.push(tenant);
        return subscriptions[tenant] ?? [];
      },
    },
    transport: async (request) => {
      sent.push(request);
      return answers.shift() ?? { kind: 'delivered', status: 200 };
    },
    retry: { attempts: 3, baseDelayMs: 100, maxDelayMs: 150 },
    now: () => 1_700_000_000_500,
    sleep: async (ms) => {
      waits.push(ms);
    },
    random: () => 0.999,
  });
  return { dispatcher, sent, waits, lookups };
};

describe('webhook delivery', () => {
  it('signs the raw body with HMAC-SHA256 over "<t>.<body>" in Concord-Signature', async () => {
    const { dispatcher, sent } = setup({ acme: [sub('a')] }, []);
    await dispatcher.dispatch([change('acme')]);
    const [request] = sent;
    const expected = createHmac('sha256', 'whsec_a')
      .update(`1700000000.${request?.body}`)
      .digest('hex');
    expect(request?.headers['concord-signature']).toBe(`t=1700000000,v1=${expected}`);
    expect(JSON.parse(request?.body ?? '')).toEqual(change('acme').event);
    expect(request?.url).toBe('https://hooks.example.com/a');
  });

  it('retries failures with capped, growing backoff, then reports the last outcome', async () => {
    const failed: AttemptOutcome = {
      kind: 'failed',
      reason: 'the receiver answered 503',
      status: 503,
    };
    const { dispatcher, sent, waits } = setup({ acme: [sub('a')] }, [failed, failed, failed]);
    const [[delivery] = []] = await dispatcher.dispatch([change('acme')]);
    expect(sent).toHaveLength(3);
    expect(waits).toEqual([99, 149]);
    expect(delivery).toMatchObject({ subscriptionId: 'a', attempts: 3, outcome: failed });
  });

  it('stops at a rejection or a refusal: they are final', async () => {
    const rejected: AttemptOutcome = {
      kind: 'rejected',
      status: 400,
      reason: 'the receiver answered 400',
    };
    const refused: AttemptOutcome = { kind: 'refused', reason: 'a private address' };
    const { dispatcher, sent } = setup({ acme: [sub('a')], beta: [sub('b')] }, [rejected, refused]);
    const report = await dispatcher.dispatch([change('acme'), change('beta')]);
    expect(sent).toHaveLength(2);
    expect(report.map((r) => r.map((d) => [d.attempts, d.outcome.kind]))).toEqual([
      [[1, 'rejected']],
      [[1, 'refused']],
    ]);
  });

  it('delivers only to the tenant’s subscriptions for the event type and collection', async () => {
    const { dispatcher, sent, lookups } = setup(
      {
        acme: [
          sub('all'),
          sub('items-only', { collection: 'items' }),
          sub('orders-only', { collection: 'orders' }),
          sub('deletes', { events: ['document.deleted'] }),
        ],
        beta: [sub('other-tenant')],
      },
      [],
    );
    const report = await dispatcher.dispatch([change('acme', 'items'), change('acme', 'orders')]);
    expect(report.map((r) => r.map((d) => d.subscriptionId).sort())).toEqual([
      ['all', 'items-only'],
      ['all', 'orders-only'],
    ]);
    expect(sent).toHaveLength(4);
    expect(lookups).toEqual(['acme']);
  });
});
