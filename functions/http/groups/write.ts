/** The `write` function group: every route that changes state, and the services they use. */
import { createItemService } from '../../core/items';
import { createLeaseService } from '../../core/leases';
import { createStagedTransactionService } from '../../core/staged-transactions';
import { WEBHOOKS_NOT_SET_UP } from '../../core/subscription-reads';
import { createSubscriptionService } from '../../core/subscriptions';
import { createTransactionService } from '../../core/transactions';
import { resolveConflict } from '../handlers/conflicts';
import { createItem, deleteItem, patchItem, replaceItem } from '../handlers/items';
import { acquireLock, releaseLock, renewLock } from '../handlers/locks';
import { createSubscription, deleteSubscription } from '../handlers/subscriptions';
import {
  abortStaged,
  addStaged,
  beginStaged,
  commitStaged,
  runTransaction,
} from '../handlers/transactions';
import { restoreVersion } from '../handlers/versions';
import type { RouteHandlers, ServiceMakers } from '../route-app';

export const writeHandlers = {
  'items.create': createItem,
  'items.replace': replaceItem,
  'items.patch': patchItem,
  'items.delete': deleteItem,
  'locks.acquire': acquireLock,
  'locks.renew': renewLock,
  'locks.release': releaseLock,
  'versions.restore': restoreVersion,
  'transactions.run': runTransaction,
  'transactions.begin': beginStaged,
  'transactions.add': addStaged,
  'transactions.commit': commitStaged,
  'transactions.abort': abortStaged,
  'subscriptions.create': createSubscription,
  'subscriptions.delete': deleteSubscription,
  'conflicts.resolve': resolveConflict,
} satisfies RouteHandlers;

export const writeServices: ServiceMakers = {
  items: ({ config, store }) => createItemService({ config, store }),
  // One items service answers both, so its schemas are compiled once.
  reads: ({ services }) => services.items,
  leases: ({ store, services }) =>
    createLeaseService({ store, collection: services.items.assertCollection }),
  transactions: ({ config, store }) => createTransactionService({ config, store }),
  staged: ({ store, services }) =>
    createStagedTransactionService({ transactions: services.transactions, store }),
  subscriptions: ({ subscriptionStore, webhooks }) =>
    subscriptionStore
      ? createSubscriptionService({ store: subscriptionStore, policy: webhooks })
      : WEBHOOKS_NOT_SET_UP,
};
