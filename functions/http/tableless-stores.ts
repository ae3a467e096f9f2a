/**
 * Stores for a function whose routes never touch the table (the stack grants
 * the public function no table access): any call is a fault and fails, and
 * no DynamoDB client is made or bundled.
 */
import type { ApiKeyStore } from '../core/api-keys';
import type { ItemStore } from '../core/items-model';
import type { FunctionStores } from './lambda-runtime';

/** Nested stores (`store.staged`, `store.conflicts`) refuse their calls too. */
const NESTED = new Set<string | symbol>(['staged', 'conflicts']);

const refusing = <T extends object>(): T =>
  new Proxy({} as T, {
    get: (_target, name) =>
      NESTED.has(name)
        ? refusing()
        : () => Promise.reject(new Error(`this function has no table access (${String(name)})`)),
  });

export const tablelessStores = (): FunctionStores => ({
  store: refusing<ItemStore>(),
  keys: refusing<ApiKeyStore>(),
});
