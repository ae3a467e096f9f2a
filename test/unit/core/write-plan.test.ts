import { describe, expect, it } from 'vitest';
import { BadRequestError, PayloadTooLargeError } from '../../../functions/core/errors';
import {
  checkPlan,
  type DocumentPart,
  MAX_PLAN_PARTS,
  type PlanPart,
} from '../../../functions/core/write-plan';

const document = (id: string, body: Record<string, string> = {}): DocumentPart => ({
  kind: 'document',
  key: { tenant: 't', collection: 'c', id },
  body,
  condition: { expectedVersion: null },
  at: '2024-01-01T00:00:00.000Z',
});

describe('checkPlan', () => {
  it('accepts a plan within every limit', () => {
    const plan = { parts: [document('a'), document('b')] };
    expect(checkPlan(plan)).toBe(plan);
  });

  it(`refuses more than ${MAX_PLAN_PARTS} parts with a 400`, () => {
    const parts = Array.from({ length: MAX_PLAN_PARTS + 1 }, (_, i) => document(`d${i}`));
    expect(() => checkPlan({ parts })).toThrow(BadRequestError);
    expect(() => checkPlan({ parts: parts.slice(1) })).not.toThrow();
  });

  it('refuses two parts on one record with a 400', () => {
    const lease: PlanPart = {
      kind: 'lease',
      key: { tenant: 't', collection: 'c', id: 'a' },
      change: { op: 'acquire', leaseId: 'x', expiresAt: 2, now: 1, fencing: 1 },
    };
    expect(() => checkPlan({ parts: [document('a'), lease] })).toThrow(BadRequestError);
  });

  it('refuses a plan over 4 MB with a 413', () => {
    const big = { text: 'x'.repeat(350_000) };
    const parts = Array.from({ length: 12 }, (_, i) => document(`d${i}`, big));
    expect(() => checkPlan({ parts })).toThrow(PayloadTooLargeError);
    expect(() => checkPlan({ parts: parts.slice(0, 11) })).not.toThrow();
  });

  it('counts bytes as UTF-8', () => {
    const wide = { text: '€'.repeat(120_000) }; // 360,000 bytes in UTF-8, 120,000 UTF-16 units
    const parts = Array.from({ length: 12 }, (_, i) => document(`d${i}`, wide));
    expect(() => checkPlan({ parts })).toThrow(PayloadTooLargeError);
  });

  it('keeps an acquisition that counts on from the stored token alone in its plan', () => {
    const unpinned: PlanPart = {
      kind: 'lease',
      key: { tenant: 't', collection: 'c', id: 'z' },
      change: { op: 'acquire', leaseId: 'x', expiresAt: 2, now: 1 },
    };
    expect(() => checkPlan({ parts: [unpinned] })).not.toThrow();
    expect(() => checkPlan({ parts: [unpinned, document('a')] })).toThrow(/only part/);
  });
});
