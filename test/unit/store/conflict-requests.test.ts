import { describe, expect, it } from 'vitest';
import type { ConflictRecord } from '../../../functions/core/conflicts-model';
import {
  buildConflictPut,
  buildListConflicts,
  conflictResolveUpdate,
  toConflictRecord,
} from '../../../functions/store/conflict-requests';

const record: ConflictRecord = {
  id: '01J00000000000000000000000',
  collection: 'items',
  documentId: 'a',
  status: 'open',
  reason: 'version-mismatch',
  baseVersion: 1,
  currentVersion: 2,
  proposal: { method: 'PUT', contentType: 'application/json', body: { s: 'x' } },
  paths: [{ path: '/s', base: 'a', theirs: 'b', ours: 'x' }],
  time: '2026-01-01T00:00:00.000Z',
  keyId: 'k1',
  expiresAt: 1_800_000_000,
};

describe('conflict requests', () => {
  it('puts a record once, with status, collection and document id as plain attributes', () => {
    const input = buildConflictPut('t', 'tenant', record);
    expect(input.Item).toMatchObject({
      pk: 'T#tenant#CF',
      sk: 'CF#01J00000000000000000000000',
      status: 'open',
      collection: 'items',
      documentId: 'a',
      expiresAt: 1_800_000_000,
    });
    expect(input.ConditionExpression).toBe('attribute_not_exists(#pk)');
    expect(toConflictRecord(input.Item ?? {})).toEqual(record);
  });

  it('resolves only an open record, returning it when refused', () => {
    const action = conflictResolveUpdate('t', {
      kind: 'conflict-resolve',
      tenant: 'tenant',
      conflictId: record.id,
      resolution: { strategy: 'theirs', keyId: 'k1', time: record.time, version: 2 },
    });
    expect(action.ConditionExpression).toBe('#status = :open');
    expect(action.UpdateExpression).toBe('SET #status = :resolved, #resolution = :resolution');
    expect(action.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
  });

  it('lists from the later of the cursor and the time bound, with filters as placeholders', () => {
    const input = buildListConflicts('t', 'tenant', {
      limit: 10,
      now: 5,
      after: '01J00000000000000000000000',
      from: '01H0000000',
      collection: 'it#ems',
      status: 'open',
    });
    expect(input.KeyConditionExpression).toBe('#pk = :pk AND #sk > :lower');
    expect(input.ExpressionAttributeValues?.[':lower']).toBe('CF#01J00000000000000000000000');
    expect(input.FilterExpression).toBe(
      '#expiresAt > :now AND #collection = :collection AND #status = :status',
    );
    expect(input.ExpressionAttributeValues?.[':collection']).toBe('it#ems');
    const fromTime = buildListConflicts('t', 'tenant', { limit: 10, now: 5, from: '01K0000000' });
    expect(fromTime.KeyConditionExpression).toBe('#pk = :pk AND #sk >= :lower');
    const all = buildListConflicts('t', 'tenant', { limit: 10, now: 5 });
    expect(all.KeyConditionExpression).toBe('#pk = :pk AND begins_with(#sk, :prefix)');
  });
});
