import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import { eventOfRecord, type StreamRecord } from '../../../functions/store/stream-events';

const doc = (version: number, state: 'live' | 'deleted', extra: Record<string, unknown> = {}) =>
  marshall({
    pk: 'T#acme#C#items',
    sk: 'I#d1',
    id: 'd1',
    version,
    state,
    body: JSON.stringify({ n: version }),
    updatedAt: `2026-01-0${version}T00:00:00.000Z`,
    ...extra,
  });

const record = (
  eventName: string,
  NewImage?: Record<string, unknown>,
  OldImage?: Record<string, unknown>,
): StreamRecord => ({
  eventName,
  dynamodb: { NewImage, OldImage, ApproximateCreationDateTime: 1_700_000_000 },
});

const conflict = (status: 'open' | 'resolved') =>
  marshall({
    pk: 'T#acme#CF',
    sk: 'CF#01JCONFLICT',
    status,
    collection: 'items',
    documentId: 'd1',
  });

describe('stream records to webhook events', () => {
  it('announces a new document as document.created with its representation', () => {
    expect(eventOfRecord(record('INSERT', doc(1, 'live')))).toEqual({
      tenant: 'acme',
      collection: 'items',
      event: {
        id: expect.stringMatching(/^evt_[0-9a-f]{32}$/),
        type: 'document.created',
        time: '2026-01-01T00:00:00.000Z',
        data: {
          collection: 'items',
          id: 'd1',
          version: 1,
          etag: '"1"',
          document: { id: 'd1', version: 1, n: 1 },
        },
      },
    });
  });

  it('announces a new version as document.updated and a tombstone as document.deleted', () => {
    expect(eventOfRecord(record('MODIFY', doc(2, 'live'), doc(1, 'live')))?.event.type).toBe(
      'document.updated',
    );
    const deleted = eventOfRecord(record('MODIFY', doc(3, 'deleted'), doc(2, 'live')));
    expect(deleted?.event.type).toBe('document.deleted');
    expect(deleted?.event.data).toEqual({ collection: 'items', id: 'd1', version: 3, etag: '"3"' });
  });

  it('announces a document created again over its tombstone as document.created', () => {
    expect(eventOfRecord(record('MODIFY', doc(4, 'live'), doc(3, 'deleted')))?.event.type).toBe(
      'document.created',
    );
  });

  it('announces nothing for a lease taken or released (same version)', () => {
    expect(
      eventOfRecord(record('MODIFY', doc(2, 'live', { leaseId: 'l' }), doc(2, 'live'))),
    ).toBeUndefined();
  });

  it('gives the same change the same event id, and different changes different ones', () => {
    const a = eventOfRecord(record('MODIFY', doc(2, 'live'), doc(1, 'live')));
    const b = eventOfRecord(record('MODIFY', doc(2, 'live'), doc(1, 'live')));
    const c = eventOfRecord(record('MODIFY', doc(3, 'live'), doc(2, 'live')));
    expect(a?.event.id).toBe(b?.event.id);
    expect(a?.event.id).not.toBe(c?.event.id);
  });

  it('announces a new conflict record as conflict.created and its resolution as conflict.resolved', () => {
    const created = eventOfRecord(record('INSERT', conflict('open')));
    expect(created).toEqual({
      tenant: 'acme',
      collection: 'items',
      event: {
        id: expect.stringMatching(/^evt_/),
        type: 'conflict.created',
        time: new Date(1_700_000_000_000).toISOString(),
        data: {
          id: '01JCONFLICT',
          collection: 'items',
          documentId: 'd1',
          status: 'open',
          url: '/v1/conflicts/01JCONFLICT',
        },
      },
    });
    const resolved = eventOfRecord(record('MODIFY', conflict('resolved'), conflict('open')));
    expect(resolved?.event.type).toBe('conflict.resolved');
    expect(resolved?.event.data.status).toBe('resolved');
    expect(resolved?.event.id).not.toBe(created?.event.id);
  });

  it('announces nothing for a conflict record changed without being resolved, or resolved again', () => {
    expect(eventOfRecord(record('MODIFY', conflict('open'), conflict('open')))).toBeUndefined();
    expect(
      eventOfRecord(record('MODIFY', conflict('resolved'), conflict('resolved'))),
    ).toBeUndefined();
  });

  it('announces nothing for history entries, guards, subscriptions, key records and removals', () => {
    const other = (pk: string, sk: string) =>
      record('INSERT', marshall({ pk, sk, version: 1, state: 'live' }));
    expect(eventOfRecord(other('T#acme#C#items#H#d1', 'V#000000000000001'))).toBeUndefined();
    expect(eventOfRecord(other('T#acme#C#items#U#email#ab', 'U'))).toBeUndefined();
    expect(eventOfRecord(other('T#acme#SUB', 'S#1'))).toBeUndefined();
    expect(eventOfRecord(other('KEY#abc', 'KEY'))).toBeUndefined();
    expect(eventOfRecord(record('REMOVE', undefined, doc(3, 'deleted')))).toBeUndefined();
  });
});
