/**
 * Turns records of the table's stream (NEW_AND_OLD_IMAGES) into webhook
 * events. Only three kinds of record make events: a document record whose
 * version moved (a lease taken or released changes no version and makes
 * none), and a conflict record that appeared or became resolved. History
 * entries, guards, idempotency and key records make none.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { etagOf, viewOf } from '../core/items-model';
import { type EventType, eventId, type TenantEvent } from '../core/webhook-events';
import { DELETED, ITEM_ATTRIBUTES, LIVE } from './item-requests';
import { CONFLICT_SORT_PREFIX, ITEM_SORT_PREFIX, TABLE_KEYS } from './keys';
import { toStoredItem } from './records';

/** What both Lambda's DynamoDB stream event and the DynamoDB Streams API hand over. */
export interface StreamRecord {
  readonly eventName?: string;
  readonly dynamodb?: {
    readonly NewImage?: Record<string, unknown>;
    readonly OldImage?: Record<string, unknown>;
    readonly ApproximateCreationDateTime?: number | Date;
  };
}

/** Attributes of conflict records that the events read. */
export const CONFLICT_ATTRIBUTES = {
  status: 'status',
  collection: 'collection',
  documentId: 'documentId',
} as const;

const DOCUMENT_PARTITION = /^T#([^#]+)#C#([^#]+)$/;
const CONFLICT_PARTITION = /^T#([^#]+)#CF$/;

const image = (raw: Record<string, unknown> | undefined): Record<string, unknown> | undefined =>
  raw ? unmarshall(raw as Record<string, AttributeValue>) : undefined;

const changeTime = (record: StreamRecord, fallback: unknown): string => {
  if (typeof fallback === 'string' && fallback !== '') return fallback;
  const at = record.dynamodb?.ApproximateCreationDateTime;
  if (at instanceof Date) return at.toISOString();
  // Lambda hands over epoch seconds.
  return typeof at === 'number' ? new Date(at * 1000).toISOString() : new Date().toISOString();
};

const documentEventType = (
  eventName: string | undefined,
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown>,
): EventType | undefined => {
  const live = after[ITEM_ATTRIBUTES.state] === LIVE;
  const wasLive = before?.[ITEM_ATTRIBUTES.state] === LIVE;
  if (eventName === 'INSERT') return live ? 'document.created' : undefined;
  if (eventName !== 'MODIFY' || !before) return undefined;
  // Leases change the record but not its version: no event.
  if (Number(after[ITEM_ATTRIBUTES.version]) === Number(before[ITEM_ATTRIBUTES.version])) {
    return undefined;
  }
  if (after[ITEM_ATTRIBUTES.state] === DELETED) return wasLive ? 'document.deleted' : undefined;
  if (!live) return undefined;
  return wasLive ? 'document.updated' : 'document.created';
};

const documentEvent = (
  record: StreamRecord,
  tenant: string,
  collection: string,
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown>,
): TenantEvent | undefined => {
  const type = documentEventType(record.eventName, before, after);
  if (!type) return undefined;
  const item = toStoredItem(after);
  const data =
    type === 'document.deleted'
      ? { collection, id: item.id, version: item.version, etag: etagOf(item.version) }
      : {
          collection,
          id: item.id,
          version: item.version,
          etag: etagOf(item.version),
          document: viewOf(item).document,
        };
  return {
    tenant,
    collection,
    event: {
      id: eventId(tenant, collection, item.id, item.version, type),
      type,
      time: changeTime(record, after[ITEM_ATTRIBUTES.updatedAt]),
      data,
    },
  };
};

const conflictEvent = (
  record: StreamRecord,
  tenant: string,
  conflictId: string,
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown>,
): TenantEvent | undefined => {
  const status = after[CONFLICT_ATTRIBUTES.status];
  let type: EventType | undefined;
  if (record.eventName === 'INSERT') type = 'conflict.created';
  else if (
    record.eventName === 'MODIFY' &&
    status === 'resolved' &&
    before?.[CONFLICT_ATTRIBUTES.status] !== 'resolved'
  ) {
    type = 'conflict.resolved';
  }
  if (!type) return undefined;
  const collection = String(after[CONFLICT_ATTRIBUTES.collection] ?? '');
  return {
    tenant,
    collection,
    event: {
      id: eventId(tenant, 'conflict', conflictId, type),
      type,
      time: changeTime(record, undefined),
      data: {
        id: conflictId,
        collection,
        documentId: String(after[CONFLICT_ATTRIBUTES.documentId] ?? ''),
        status: String(status ?? 'open'),
        url: `/v1/conflicts/${encodeURIComponent(conflictId)}`,
      },
    },
  };
};

/** The event a stream record announces, with its tenant; undefined for every other change. */
export const eventOfRecord = (record: StreamRecord): TenantEvent | undefined => {
  const after = image(record.dynamodb?.NewImage);
  if (!after) return undefined; // a removal (TTL expiry) announces nothing
  const before = image(record.dynamodb?.OldImage);
  const pk = String(after[TABLE_KEYS.partitionKey] ?? '');
  const sk = String(after[TABLE_KEYS.sortKey] ?? '');
  const document = DOCUMENT_PARTITION.exec(pk);
  if (document && sk.startsWith(ITEM_SORT_PREFIX)) {
    return documentEvent(record, document[1] ?? '', document[2] ?? '', before, after);
  }
  const conflict = CONFLICT_PARTITION.exec(pk);
  if (conflict && sk.startsWith(CONFLICT_SORT_PREFIX)) {
    return conflictEvent(
      record,
      conflict[1] ?? '',
      sk.slice(CONFLICT_SORT_PREFIX.length),
      before,
      after,
    );
  }
  return undefined;
};
