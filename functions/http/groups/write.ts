/** The handlers of the `write` function group: every route that changes state. */
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
import type { RouteHandlers } from '../route-app';

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
