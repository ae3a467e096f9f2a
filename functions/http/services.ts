/**
 * The domain services a request scope offers, each made on first use from
 * the makers of the function that serves it. Each function group names its
 * own makers (functions/http/groups), so a function's bundle holds the
 * domain code of its routes and no other: the read function carries none of
 * the write path.
 */
import type { ConcordConfig } from '../core/config';
import type { ItemReads, ItemService } from '../core/items';
import type { ItemStore } from '../core/items-model';
import type { LeaseService } from '../core/leases';
import type { StagedReads } from '../core/staged-reads';
import type { StagedTransactionService } from '../core/staged-transactions';
import type { SubscriptionReads } from '../core/subscription-reads';
import type { SubscriptionService, SubscriptionStore } from '../core/subscriptions';
import type { TransactionService } from '../core/transactions';
import type { WebhookPolicy } from '../core/webhook-urls';

/**
 * Reads have services of their own so that a function serving only reads
 * never loads the write path; where both are served, the reads are the full
 * service's.
 */
export interface Services {
  readonly reads: ItemReads;
  readonly items: ItemService;
  readonly leases: LeaseService;
  readonly transactions: TransactionService;
  readonly staged: StagedTransactionService;
  readonly stagedReads: StagedReads;
  readonly subscriptions: SubscriptionService;
  readonly subscriptionReads: SubscriptionReads;
}

/** What a service is made from. */
export interface ServiceContext {
  readonly config: ConcordConfig;
  readonly store: ItemStore;
  readonly subscriptionStore?: SubscriptionStore;
  readonly webhooks: WebhookPolicy;
  /** The function's other services, for one that builds on another. */
  readonly services: Services;
}

/** How a function makes the services its routes use. */
export type ServiceMakers = {
  readonly [K in keyof Services]?: (context: ServiceContext) => Services[K];
};

const SERVICE_NAMES: Readonly<Record<keyof Services, true>> = {
  reads: true,
  items: true,
  leases: true,
  transactions: true,
  staged: true,
  stagedReads: true,
  subscriptions: true,
  subscriptionReads: true,
};

/**
 * The services of `makers`, each made when first asked for and kept. The
 * items service (or, without one, the reads) is made now: it compiles the
 * collection schemas, and one that does not compile must stop the start.
 */
export const makeServices = (
  makers: ServiceMakers,
  context: Omit<ServiceContext, 'services'>,
): Services => {
  const made: Partial<Record<keyof Services, unknown>> = {};
  const services = {} as Services;
  const full: ServiceContext = { ...context, services };
  for (const name of Object.keys(SERVICE_NAMES) as Array<keyof Services>) {
    Object.defineProperty(services, name, {
      enumerable: true,
      get() {
        if (!(name in made)) {
          const make = makers[name];
          // API Gateway sends a function only its group's routes: anything else is a deployment fault.
          if (!make) throw new Error(`${name} is not served by this function`);
          made[name] = make(full);
        }
        return made[name];
      },
    });
  }
  if (makers.items) void services.items;
  else if (makers.reads) void services.reads;
  return services;
};
