/**
 * Delivering events to subscribers: find the tenant's subscriptions that
 * want the event, sign it, POST it, and retry with backoff while the
 * receiver fails (5xx, timeout, no connection). A 4xx, a redirect or a
 * refused address is final. Delivery is at-least-once: the same event may
 * arrive twice, with the same id.
 */
import type { StoredSubscription, SubscriptionStore } from './subscriptions';
import {
  SIGNATURE_HEADER,
  signatureHeader,
  type TenantEvent,
  type WebhookEvent,
} from './webhook-events';

export interface WebhookRequest {
  readonly url: string;
  readonly body: string;
  readonly headers: Readonly<Record<string, string>>;
}

/** How one attempt ended, as the transport saw it. */
export type AttemptOutcome =
  | { readonly kind: 'delivered'; readonly status: number }
  /** The receiver answered 4xx or a redirect: final, not retried. */
  | { readonly kind: 'rejected'; readonly status: number; readonly reason: string }
  /** The URL or an address it resolved to is not allowed: final, nothing was sent. */
  | { readonly kind: 'refused'; readonly reason: string }
  /** 5xx, timeout, connection failure: worth another attempt. */
  | { readonly kind: 'failed'; readonly reason: string; readonly status?: number };

/** Sends one request; never throws. */
export type WebhookTransport = (request: WebhookRequest) => Promise<AttemptOutcome>;

export interface RetryPolicy {
  /** Attempts per event and subscription, the first included. */
  readonly attempts: number;
  /** Backoff before the n-th retry: base × 2^(n-1), capped, with full jitter. */
  readonly baseDelayMs: number;
  readonly maxDelayMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = {
  attempts: 3,
  baseDelayMs: 500,
  maxDelayMs: 4000,
};

export interface Delivery {
  readonly subscriptionId: string;
  readonly eventId: string;
  readonly type: string;
  readonly attempts: number;
  readonly outcome: AttemptOutcome;
}

export interface DispatchOptions {
  readonly subscriptions: Pick<SubscriptionStore, 'listSubscriptions'>;
  readonly transport: WebhookTransport;
  readonly retry?: RetryPolicy;
  /** Unix milliseconds; the signature's timestamp is taken at every attempt. */
  readonly now?: () => number;
  readonly sleep?: (ms: number) => Promise<void>;
  readonly random?: () => number;
  /** Deliveries in flight at once. */
  readonly concurrency?: number;
}

export const wants = (
  subscription: StoredSubscription,
  { collection, event }: TenantEvent,
): boolean =>
  subscription.events.includes(event.type) &&
  (subscription.collection === undefined || subscription.collection === collection);

/** The request of one attempt: the raw body and its signature at `unixSeconds`. */
export const signedRequest = (
  subscription: StoredSubscription,
  event: WebhookEvent,
  unixSeconds: number,
): WebhookRequest => {
  const body = JSON.stringify(event);
  return {
    url: subscription.url,
    body,
    headers: {
      'content-type': 'application/json',
      'user-agent': 'Concord-Webhooks/1',
      'concord-event-id': event.id,
      'concord-event-type': event.type,
      [SIGNATURE_HEADER.toLowerCase()]: signatureHeader(subscription.secret, unixSeconds, body),
    },
  };
};

/** Runs `tasks` with at most `limit` at once, results in order. */
const limited = async <T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> => {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const index = next++;
      results[index] = await (tasks[index] as () => Promise<T>)();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
};

export interface WebhookDispatcher {
  /**
   * Delivers each event to every subscription that wants it; one entry per
   * event, in order, listing its deliveries. Events of one call share one
   * lookup of each tenant's subscriptions.
   */
  dispatch(events: readonly TenantEvent[]): Promise<Delivery[][]>;
}

export const createWebhookDispatcher = ({
  subscriptions,
  transport,
  retry = DEFAULT_RETRY_POLICY,
  now = Date.now,
  sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  random = Math.random,
  concurrency = 8,
}: DispatchOptions): WebhookDispatcher => {
  const deliver = async (
    subscription: StoredSubscription,
    event: WebhookEvent,
  ): Promise<Delivery> => {
    let outcome: AttemptOutcome = { kind: 'failed', reason: 'not attempted' };
    let attempts = 0;
    while (attempts < retry.attempts) {
      if (attempts > 0) {
        const cap = Math.min(retry.maxDelayMs, retry.baseDelayMs * 2 ** (attempts - 1));
        await sleep(Math.floor(random() * cap));
      }
      attempts += 1;
      outcome = await transport(signedRequest(subscription, event, Math.floor(now() / 1000)));
      if (outcome.kind !== 'failed') break;
    }
    return {
      subscriptionId: subscription.id,
      eventId: event.id,
      type: event.type,
      attempts,
      outcome,
    };
  };

  return {
    async dispatch(events) {
      const byTenant = new Map<string, Promise<StoredSubscription[]>>();
      const subscribersOf = (tenant: string): Promise<StoredSubscription[]> => {
        let found = byTenant.get(tenant);
        if (!found) {
          found = subscriptions.listSubscriptions(tenant);
          byTenant.set(tenant, found);
        }
        return found;
      };
      const targets = await Promise.all(
        events.map(async (change) =>
          (await subscribersOf(change.tenant)).filter((subscription) =>
            wants(subscription, change),
          ),
        ),
      );
      const tasks = events.flatMap((change, index) =>
        (targets[index] ?? []).map((subscription) => ({
          index,
          run: () => deliver(subscription, change.event),
        })),
      );
      const done = await limited(
        tasks.map((task) => task.run),
        concurrency,
      );
      const report: Delivery[][] = events.map(() => []);
      done.forEach((delivery, i) => {
        report[tasks[i]?.index ?? 0]?.push(delivery);
      });
      return report;
    },
  };
};
