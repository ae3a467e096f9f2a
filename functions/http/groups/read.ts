/** The handlers of the `read` function group: what GET and HEAD on tenant data reach. */
import { getConflict, listConflicts } from '../handlers/conflicts';
import { getItem, listItems } from '../handlers/items';
import { listSubscriptions } from '../handlers/subscriptions';
import { getStaged } from '../handlers/transactions';
import { getVersion, listVersions } from '../handlers/versions';
import type { RouteHandlers } from '../route-app';

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
