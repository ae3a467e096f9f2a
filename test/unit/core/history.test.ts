import { describe, expect, it } from 'vitest';
import {
  decodeVersionCursor,
  encodeVersionCursor,
  historyParts,
  isKept,
  oldestKept,
} from '../../../functions/core/history';
import type { DocumentPart } from '../../../functions/core/write-plan';

const KEY = { tenant: 't', collection: 'c', id: 'a' };
const AT = '2024-01-01T00:00:00.000Z';
const write = (
  expectedVersion: number | null,
  body: DocumentPart['body'] = { n: 1 },
): DocumentPart => ({
  kind: 'document',
  key: KEY,
  body,
  condition: { expectedVersion },
  at: AT,
});
const RETENTION = { keepVersions: 3, keepDays: 2 };

describe('historyParts', () => {
  it("puts the new version's entry with the writer's key and a TTL of keepDays", () => {
    expect(historyParts(write(null), 'create', RETENTION, 'k1')).toEqual([
      {
        kind: 'history',
        key: KEY,
        entry: {
          version: 1,
          operation: 'create',
          time: AT,
          keyId: 'k1',
          deleted: false,
          body: { n: 1 },
          expiresAt: Date.parse(AT) / 1000 + 2 * 86_400,
        },
      },
    ]);
  });

  it('drops the entry that falls out of keepVersions, in the same plan', () => {
    expect(historyParts(write(2), 'replace', RETENTION, undefined)).toHaveLength(1);
    const parts = historyParts(write(3, null), 'delete', RETENTION, undefined);
    expect(parts).toEqual([
      expect.objectContaining({
        entry: expect.objectContaining({ version: 4, deleted: true, body: {} }),
      }),
      { kind: 'history-drop', key: KEY, version: 1 },
    ]);
  });
});

describe('retention on read', () => {
  const entry = (version: number, expiresAt = 2_000) => ({
    version,
    operation: 'replace' as const,
    time: AT,
    deleted: false,
    body: {},
    expiresAt,
  });

  it('keeps the newest keepVersions versions, the current one included', () => {
    expect(oldestKept(10, RETENTION)).toBe(8);
    expect(oldestKept(2, RETENTION)).toBe(1);
    expect([7, 8, 10].map((v) => isKept(entry(v), 10, RETENTION, 1_000_000))).toEqual([
      false,
      true,
      true,
    ]);
    expect(isKept(entry(11), 10, RETENTION, 1_000_000)).toBe(false);
  });

  it('keeps an entry only until its retention time, whatever TTL has deleted yet', () => {
    expect(isKept(entry(10, 2_000), 10, RETENTION, 1_999_999)).toBe(true);
    expect(isKept(entry(10, 2_000), 10, RETENTION, 2_000_000)).toBe(false);
  });
});

describe('version cursors', () => {
  it('round-trip a version and refuse anything else', () => {
    expect(decodeVersionCursor(encodeVersionCursor(42))).toBe(42);
    for (const bad of [
      '',
      'x',
      Buffer.from('{"before":0}').toString('base64url'),
      Buffer.from('{"before":"7"}').toString('base64url'),
    ]) {
      expect(() => decodeVersionCursor(bad)).toThrow(/cursor/);
    }
  });
});
