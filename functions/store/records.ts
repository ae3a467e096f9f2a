import { parsedBody, rememberBodyText } from '../core/documents';
import type { JsonObject, StoredItem } from '../core/items-model';
import { DELETED, ITEM_ATTRIBUTES } from './item-requests';

/**
 * A document record from the table (as the DocumentClient returns it) in
 * domain form. The body is parsed when first asked for: a read answers from
 * the JSON text as stored, and never needs it.
 */
export const toStoredItem = (record: Record<string, unknown>): StoredItem => {
  const text = record[ITEM_ATTRIBUTES.body];
  const leaseId = record[ITEM_ATTRIBUTES.leaseId];
  const fencing = Number(record[ITEM_ATTRIBUTES.fencing] ?? 0);
  let body: JsonObject | undefined;
  const item: StoredItem = {
    id: String(record[ITEM_ATTRIBUTES.id]),
    version: Number(record[ITEM_ATTRIBUTES.version]),
    deleted: record[ITEM_ATTRIBUTES.state] === DELETED,
    get body(): JsonObject {
      body ??= typeof text === 'string' ? parsedBody(text) : {};
      return body;
    },
    updatedAt: String(record[ITEM_ATTRIBUTES.updatedAt] ?? ''),
    ...(typeof leaseId === 'string'
      ? { lease: { leaseId, expiresAt: Number(record[ITEM_ATTRIBUTES.leaseExpiresAt]), fencing } }
      : {}),
    ...(fencing > 0 ? { fencing } : {}),
  };
  if (typeof text === 'string') rememberBodyText(item, text);
  return item;
};
