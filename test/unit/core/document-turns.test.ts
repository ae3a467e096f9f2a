import { describe, expect, it } from 'vitest';
import { createDocumentTurns } from '../../../functions/core/document-turns';
import type { HistoryEntry } from '../../../functions/core/history';
import type { StoredItem } from '../../../functions/core/items-model';

const key = { tenant: 't', collection: 'c', id: 'd' };
const item = (version: number, deleted = false): StoredItem => ({
  id: 'd',
  version,
  deleted,
  body: {},
  updatedAt: '2026-01-01T00:00:00.000Z',
});

describe('document turns', () => {
  it('lets writers of one document in one at a time, in the order they came', async () => {
    const turns = createDocumentTurns();
    const order: string[] = [];
    const writer = async (name: string) => {
      const turn = await turns.enter(key);
      order.push(`${name} in`);
      await new Promise((resolve) => setTimeout(resolve, 5));
      order.push(`${name} out`);
      turn.leave();
    };
    await Promise.all([writer('a'), writer('b'), writer('c')]);
    expect(order).toEqual(['a in', 'a out', 'b in', 'b out', 'c in', 'c out']);
  });

  it('does not hold up writers of other documents', async () => {
    const turns = createDocumentTurns();
    const first = await turns.enter(key);
    const other = await turns.enter({ ...key, id: 'e' });
    other.leave();
    first.leave();
    expect(turns.size).toBe(2);
  });

  it('hands the newest live version seen to the writers behind', async () => {
    const turns = createDocumentTurns();
    const first = await turns.enter(key);
    const second = turns.enter(key);
    first.saw(item(5));
    first.saw(item(3));
    expect(first.newerThan(4)?.version).toBe(5);
    expect(first.newerThan(5)).toBeUndefined();
    first.leave();
    first.leave();
    const turn = await second;
    expect(turn.newerThan(2)?.version).toBe(5);
    turn.saw(item(6, true));
    // A deletion is newer, but nothing to resolve against.
    expect(turn.newerThan(2)).toBeUndefined();
    turn.leave();
  });

  it('remembers the last version after the turn ends, for a writer that read before', async () => {
    const turns = createDocumentTurns();
    const turn = await turns.enter(key);
    turn.saw(item(9));
    turn.leave();
    const next = await turns.enter(key);
    expect(next.newerThan(1)?.version).toBe(9);
    next.leave();
  });

  it('forgets the documents left longest ago beyond the ones it remembers', async () => {
    const turns = createDocumentTurns({ remember: 2 });
    for (const id of ['a', 'b', 'c']) {
      const turn = await turns.enter({ ...key, id });
      turn.saw({ ...item(5), id });
      turn.leave();
    }
    expect(turns.size).toBe(2);
    const a = await turns.enter({ ...key, id: 'a' });
    expect(a.newerThan(1)).toBeUndefined();
    const c = await turns.enter({ ...key, id: 'c' });
    expect(c.newerThan(1)?.version).toBe(5);
    // Documents with a writer in them are never forgotten.
    expect(turns.size).toBe(3);
    a.leave();
    c.leave();
    expect(turns.size).toBe(2);
  });

  it('keeps recent history entries, a bounded number per document and for few idle ones', async () => {
    const turns = createDocumentTurns({ remember: 4, entries: 3, idleWithEntries: 1 });
    const entry = (version: number): HistoryEntry => ({
      version,
      operation: 'replace',
      time: '2026-01-01T00:00:00.000Z',
      deleted: false,
      body: {},
      expiresAt: 0,
    });
    const turn = await turns.enter(key);
    for (const v of [2, 3, 4, 5]) turn.saw(item(v), entry(v));
    expect([2, 3, 4, 5].map((v) => turn.entry(v)?.version)).toEqual([undefined, 3, 4, 5]);
    turn.leave();
    // The most recently left idle document keeps them; once another is left after it, only the latest.
    const again = await turns.enter(key);
    expect(again.entry(4)?.version).toBe(4);
    again.leave();
    const late = await turns.enter({ ...key, id: 'f' });
    late.leave();
    const back = await turns.enter(key);
    expect(back.entry(4)).toBeUndefined();
    expect(back.entry(5)?.version).toBe(5);
    back.leave();
  });
});
