import { parsedBody } from '../core/documents';
import type { StoredItem } from '../core/items-model';
import { DELETED, ITEM_ATTRIBUTES } from './item-requests';

/** A document record from the table (as the DocumentClient returns it) in domain form. */
export const toStoredItem = (record: Record<string, unknown>): StoredItem => {
  const body = record[ITEM_ATTRIBUTES.body];
  const leaseId = record[ITEM_ATTRIBUTES.leaseId];
  const fencing = Number(record[ITEM_ATTRIBUTES.fencing] ?? 0);
  return {
    id: String(record[ITEM_ATTRIBUTES.id]),
    version: Number(record[ITEM_ATTRIBUTES.version]),
    deleted: record[ITEM_ATTRIBUTES.state] === DELETED,
    body: typeof body === 'string' ? parsedBody(body) : {},
    updatedAt: String(record[ITEM_ATTRIBUTES.updatedAt] ?? ''),
    ...(typeof leaseId === 'string'
      ? { lease: { leaseId, expiresAt: Number(record[ITEM_ATTRIBUTES.leaseExpiresAt]), fencing } }
      : {}),
    ...(fencing > 0 ? { fencing } : {}),
  };
};
