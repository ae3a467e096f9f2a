import { describe, expect, it } from 'vitest';
import { blockClaim, rateParameters } from '../../../functions/core/api-keys';
import {
  buildAdmitBusy,
  buildAdmitIdle,
  buildClaimBlock,
  buildCreateKey,
  buildRevoke,
} from '../../../functions/store/api-key-requests';

const HASH = 'ab'.repeat(32);

describe('API key admission requests', () => {
  it('admits an idle key by restarting its GCRA clock from now, if usable', () => {
    const input = buildAdmitIdle('t', HASH, 1_000);
    expect(input.Key).toEqual({ pk: `KEY#${HASH}`, sk: 'KEY' });
    expect(input.UpdateExpression).toBe('SET #tat = :now + #interval, #allowAt = :now + #slack');
    expect(input.ConditionExpression).toBe(
      'attribute_exists(#pk) AND attribute_not_exists(#revokedAt) AND #tat <= :now',
    );
    expect(input.ExpressionAttributeNames).toEqual({
      '#pk': 'pk',
      '#revokedAt': 'revokedAt',
      '#tat': 'tat',
      '#interval': 'intervalMs',
      '#allowAt': 'allowAt',
      '#slack': 'intervalLessToleranceMs',
    });
    expect(input.ExpressionAttributeValues).toEqual({ ':now': 1_000 });
    expect(input.ReturnValues).toBe('ALL_NEW');
    expect(input.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
  });

  it('admits a busy key only while its burst tolerance lasts', () => {
    const input = buildAdmitBusy('t', HASH, 2_000);
    expect(input.UpdateExpression).toBe(
      'SET #tat = #tat + #interval, #allowAt = #allowAt + #interval',
    );
    expect(input.ConditionExpression).toBe(
      'attribute_exists(#pk) AND attribute_not_exists(#revokedAt) AND #tat > :now AND #allowAt <= :now',
    );
    expect(input.ExpressionAttributeValues).toEqual({ ':now': 2_000 });
    expect(input.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
  });

  it('claims a block from an idle key by restarting its clock from now, at the rate it was computed with', () => {
    // 600 per 60 s: interval 100 ms, tolerance 59,900 ms.
    const rate = { quota: 600, ...rateParameters(600, 60) };
    const input = buildClaimBlock('t', HASH, blockClaim(rate, 500, 1_000, 30));
    expect(input.Key).toEqual({ pk: `KEY#${HASH}`, sk: 'KEY' });
    expect(input.UpdateExpression).toBe('SET #tat = :now + :span, #allowAt = :allowAt');
    expect(input.ConditionExpression).toBe(
      'attribute_exists(#pk) AND attribute_not_exists(#revokedAt) AND #tat <= :now AND #interval = :interval AND #slack = :slack',
    );
    expect(input.ExpressionAttributeValues).toEqual({
      ':now': 1_000,
      ':span': 3_000,
      ':allowAt': 1_000 + 3_000 - 59_900,
      ':interval': 100,
      ':slack': -59_800,
    });
    expect(input.ReturnValues).toBe('ALL_NEW');
    expect(input.ReturnValuesOnConditionCheckFailure).toBe('ALL_OLD');
  });

  it('claims a block from a busy key only if it has that many tokens now', () => {
    const rate = { quota: 600, ...rateParameters(600, 60) };
    const input = buildClaimBlock('t', HASH, blockClaim(rate, 5_000, 1_000, 30));
    expect(input.UpdateExpression).toBe('SET #tat = #tat + :span, #allowAt = #allowAt + :span');
    expect(input.ConditionExpression).toBe(
      'attribute_exists(#pk) AND attribute_not_exists(#revokedAt) AND #tat > :now AND #allowAt <= :allowAt AND #interval = :interval AND #slack = :slack',
    );
    // 30 tokens now: the 30th one's allowAt, 29 intervals on, must not be later than now.
    expect(input.ExpressionAttributeValues).toMatchObject({
      ':span': 3_000,
      ':allowAt': 1_000 - 2_900,
    });
  });

  it('creates a key only where no key with that hash exists', () => {
    const input = buildCreateKey('t', HASH, {
      keyId: 'abababababababab',
      tenant: 'acme',
      scopes: ['read'],
      name: '',
      quota: 10,
      createdAt: '2024-01-01T00:00:00.000Z',
      windowSeconds: 60,
      intervalMs: 6_000,
      intervalLessToleranceMs: -48_000,
      tat: 0,
      allowAt: 0,
    });
    expect(input.ConditionExpression).toBe('attribute_not_exists(#pk)');
    expect(input.Item).toMatchObject({ pk: `KEY#${HASH}`, sk: 'KEY', tenant: 'acme', quota: 10 });
    expect(JSON.stringify(input.Item)).not.toContain('ck_');
  });

  it('revokes once, keeping the first revocation time', () => {
    const input = buildRevoke('t', { pk: `KEY#${HASH}`, sk: 'KEY' }, '2024-01-02T00:00:00Z');
    expect(input.UpdateExpression).toBe('SET #revokedAt = if_not_exists(#revokedAt, :at)');
    expect(input.ConditionExpression).toBe('attribute_exists(#pk)');
  });
});
