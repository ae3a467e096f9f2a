/**
 * The `write` function group: every route that changes one document
 * (create, replace, patch, delete, restore a version, resolve a conflict),
 * and the items service they use.
 */
import { createItemService } from '../../core/items';
import { resolveConflict } from '../handlers/conflicts';
import { createItem, deleteItem, patchItem, replaceItem } from '../handlers/items';
import { restoreVersion } from '../handlers/versions';
import type { RouteHandlers, ServiceMakers } from '../route-app';

export const writeHandlers = {
  'items.create': createItem,
  'items.replace': replaceItem,
  'items.patch': patchItem,
  'items.delete': deleteItem,
  'versions.restore': restoreVersion,
  'conflicts.resolve': resolveConflict,
} satisfies RouteHandlers;

export const writeServices: ServiceMakers = {
  items: ({ config, store }) => createItemService({ config, store }),
  // One items service answers both, so its schemas are compiled once.
  reads: ({ services }) => services.items,
};
