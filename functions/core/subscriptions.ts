/**
 * Webhook subscriptions: a tenant registers a URL for some event types,
 * optionally for one collection. The signing secret is made here, answered
 * once at registration and never again; it is stored because signing needs
 * it.
 */
import { randomBytes } from 'node:crypto';
import { checkId, isPlainObject } from './documents';
import { NotFoundError, ValidationError, type ValidationIssue } from './errors';
import { COLLECTION_PATTERN } from './limits';
import {
  createSubscriptionReads,
  type StoredSubscription,
  type Subscription,
} from './subscription-reads';
import { ulid } from './ulid';
import { EVENT_TYPES, type EventType } from './webhook-events';
import { checkWebhookUrl, type WebhookPolicy } from './webhook-urls';

export type { StoredSubscription, Subscription } from './subscription-reads';
export { publicView } from './subscription-reads';

/**
 * Most subscriptions one tenant may have: every change is delivered once per
 * matching subscription, so without a bound one write could make the
 * delivery function send any number of requests.
 */
export const MAX_SUBSCRIPTIONS_PER_TENANT = 25;

/** The tenant has as many subscriptions as it may have. */
export class SubscriptionLimitError extends Error {
  constructor(readonly limit: number) {
    super(`subscription limit of ${limit} reached`);
    this.name = 'SubscriptionLimitError';
  }
}

/** The storage port of subscriptions; each method is one request. */
export interface SubscriptionStore {
  /**
   * Stores a new subscription (ids are fresh ULIDs) unless the tenant has
   * `limit` already: then throws {@link SubscriptionLimitError}.
   */
  putSubscription(tenant: string, subscription: StoredSubscription, limit: number): Promise<void>;
  /** Every subscription of the tenant, secrets included (for delivery). */
  listSubscriptions(tenant: string): Promise<StoredSubscription[]>;
  /** Removes one; false when the tenant has none with this id. */
  deleteSubscription(tenant: string, id: string): Promise<boolean>;
}

const ALLOWED_KEYS = new Set(['url', 'events', 'collection']);
const SUBSCRIPTION_ID = /^[0-9A-HJKMNP-TV-Z]{26}$/;

const parseRequest = (
  body: unknown,
  policy: WebhookPolicy,
): { url: string; events: EventType[]; collection?: string } => {
  if (!isPlainObject(body)) {
    throw new ValidationError('the subscription must be a JSON object', [
      { pointer: '', message: 'must be an object with url and events' },
    ]);
  }
  const issues: ValidationIssue[] = [];
  for (const key of Object.keys(body)) {
    if (!ALLOWED_KEYS.has(key)) {
      issues.push({ pointer: `/${key}`, message: 'is not a subscription field' });
    }
  }
  const { events, collection } = body;
  const known = new Set<string>(EVENT_TYPES);
  if (!Array.isArray(events) || events.length === 0) {
    issues.push({
      pointer: '/events',
      message: `must list event types: ${EVENT_TYPES.join(', ')}`,
    });
  } else {
    events.forEach((type, index) => {
      if (typeof type !== 'string' || !known.has(type)) {
        issues.push({
          pointer: `/events/${index}`,
          message: `must be one of ${EVENT_TYPES.join(', ')}`,
        });
      }
    });
  }
  if (
    collection !== undefined &&
    (typeof collection !== 'string' || !COLLECTION_PATTERN.test(collection))
  ) {
    issues.push({ pointer: '/collection', message: 'must be a collection name' });
  }
  if (issues.length > 0) throw new ValidationError('the subscription is not acceptable', issues);
  const url = checkWebhookUrl(body.url, policy);
  return {
    url: url.href,
    events: [...new Set(events as EventType[])],
    ...(typeof collection === 'string' ? { collection } : {}),
  };
};

export interface SubscriptionService {
  /** Registers a subscription; the answer is the only one that carries its secret. */
  create(tenant: string, body: unknown): Promise<StoredSubscription>;
  list(tenant: string): Promise<Subscription[]>;
  /** Throws {@link NotFoundError} for an id the tenant does not have. */
  remove(tenant: string, id: string): Promise<void>;
}

export const createSubscriptionService = ({
  store,
  policy,
  now = () => new Date(),
}: {
  store: SubscriptionStore;
  policy: WebhookPolicy;
  now?: () => Date;
}): SubscriptionService => ({
  async create(tenant, body) {
    const request = parseRequest(body, policy);
    const subscription: StoredSubscription = {
      id: ulid(),
      ...request,
      createdAt: now().toISOString(),
      secret: `whsec_${randomBytes(32).toString('base64url')}`,
    };
    try {
      await store.putSubscription(tenant, subscription, MAX_SUBSCRIPTIONS_PER_TENANT);
    } catch (error) {
      if (!(error instanceof SubscriptionLimitError)) throw error;
      throw new ValidationError(
        `a tenant may have at most ${error.limit} subscriptions; remove one first`,
        [{ pointer: '', message: `at most ${error.limit} subscriptions per tenant` }],
      );
    }
    return subscription;
  },

  ...createSubscriptionReads(store),

  async remove(tenant, id) {
    // `.` and `..` are no addressable ids: 400, as for documents.
    checkId(id);
    const removed = SUBSCRIPTION_ID.test(id) && (await store.deleteSubscription(tenant, id));
    if (!removed) throw new NotFoundError(`no subscription ${id}`);
  },
});
