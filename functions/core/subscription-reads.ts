/**
 * Listing webhook subscriptions: what the read function serves, without the
 * checks of a new subscription's address (subscriptions.ts).
 */
import { NotFoundError } from './errors';
import type { SubscriptionStore } from './subscriptions';
import type { EventType } from './webhook-events';

export interface Subscription {
  readonly id: string;
  readonly url: string;
  readonly events: readonly EventType[];
  /** Only events of this collection; conflicts carry their collection too. */
  readonly collection?: string;
  readonly createdAt: string;
}

/** As stored: with the secret that signs its deliveries. */
export interface StoredSubscription extends Subscription {
  readonly secret: string;
}

/** Without the secret: what listing answers. */
export const publicView = ({
  secret: _secret,
  ...subscription
}: StoredSubscription): Subscription => subscription;

const notSetUp = () => Promise.reject(new NotFoundError('webhooks are not set up on this server'));

/** What the subscription routes answer on a server without a subscription store: 404. */
export const WEBHOOKS_NOT_SET_UP = { create: notSetUp, list: notSetUp, remove: notSetUp };

/** Lists the tenant's subscriptions; without a store, webhooks are not set up here (404). */
export const createSubscriptionReads = (store: SubscriptionStore | undefined) => ({
  async list(tenant: string): Promise<Subscription[]> {
    if (!store) return notSetUp();
    return (await store.listSubscriptions(tenant)).map(publicView);
  },
});

export type SubscriptionReads = ReturnType<typeof createSubscriptionReads>;
