/**
 * The `read` function group: what GET and HEAD on tenant data reach, and
 * the services those routes use. None of them writes, so the group's bundle
 * carries the read half of the domain and none of the write path.
 */
import { createItemReads } from '../../core/item-reads';
import { createStagedReads } from '../../core/staged-reads';
import { createSubscriptionReads } from '../../core/subscription-reads';
import { getConflict, listConflicts } from '../handlers/conflicts';
import { getItem, listItems } from '../handlers/items';
import { listSubscriptions } from '../handlers/subscriptions';
import { getStaged } from '../handlers/transactions';
import { getVersion, listVersions } from '../handlers/versions';
import type { RouteHandlers, ServiceMakers } from '../route-app';

export const readHandlers = {
  'items.list': listItems,
  'items.get': getItem,
  'versions.list': listVersions,
  'versions.get': getVersion,
  'transactions.get': getStaged,
  'subscriptions.list': listSubscriptions,
  'conflicts.list': listConflicts,
  'conflicts.get': getConflict,
} satisfies RouteHandlers;

export const readServices: ServiceMakers = {
  reads: ({ config, store }) => createItemReads({ config, store }),
  stagedReads: ({ store }) => createStagedReads({ store }),
  subscriptionReads: ({ subscriptionStore }) => createSubscriptionReads(subscriptionStore),
};
