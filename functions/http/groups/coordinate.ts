/**
 * The `coordinate` function group: leases, one-shot and staged
 * transactions, and webhook subscriptions, with the services they use.
 * Their code (the transaction engine, lease writes, webhook address checks)
 * stays out of the functions that serve single documents.
 */
import { createLeaseService } from '../../core/leases';
import { createStagedTransactionService } from '../../core/staged-transactions';
import { WEBHOOKS_NOT_SET_UP } from '../../core/subscription-reads';
import { createSubscriptionService } from '../../core/subscriptions';
import { createTransactionService } from '../../core/transactions';
import { acquireLock, releaseLock, renewLock } from '../handlers/locks';
import { createSubscription, deleteSubscription } from '../handlers/subscriptions';
import {
  abortStaged,
  addStaged,
  beginStaged,
  commitStaged,
  runTransaction,
} from '../handlers/transactions';
import type { RouteHandlers, ServiceMakers } from '../route-app';

export const coordinateHandlers = {
  'locks.acquire': acquireLock,
  'locks.renew': renewLock,
  'locks.release': releaseLock,
  'transactions.run': runTransaction,
  'transactions.begin': beginStaged,
  'transactions.add': addStaged,
  'transactions.commit': commitStaged,
  'transactions.abort': abortStaged,
  'subscriptions.create': createSubscription,
  'subscriptions.delete': deleteSubscription,
} satisfies RouteHandlers;

export const coordinateServices: ServiceMakers = {
  // The transaction service's collections, so their schemas are compiled once per function.
  leases: ({ store, services }) =>
    createLeaseService({ store, collection: services.transactions.collection }),
  transactions: ({ config, store }) => createTransactionService({ config, store }),
  staged: ({ store, services }) =>
    createStagedTransactionService({ transactions: services.transactions, store }),
  subscriptions: ({ subscriptionStore, webhooks }) =>
    subscriptionStore
      ? createSubscriptionService({ store: subscriptionStore, policy: webhooks })
      : WEBHOOKS_NOT_SET_UP,
};
