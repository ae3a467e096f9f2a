import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkLinearizable,
  type Operation,
  type RegisterInput,
  type RegisterOutput,
  type RegisterState,
  versionedRegister,
} from '../../stress/lib/linearizability';

type Op = Operation<RegisterInput, RegisterOutput>;

const at1: RegisterState = { exists: true, version: 1, value: 'a' };
const register = versionedRegister(at1);

const read = (client: number, call: number, ret: number, output: RegisterOutput): Op => ({
  client,
  call,
  return: ret,
  input: { kind: 'read' },
  output,
});
const write = (
  client: number,
  call: number,
  ret: number,
  ifMatch: number,
  value: string,
  output: RegisterOutput,
): Op => ({ client, call, return: ret, input: { kind: 'write', ifMatch, value }, output });

const found = (version: number, value: string): RegisterOutput => ({
  kind: 'found',
  version,
  value,
});
const ok = (version: number): RegisterOutput => ({ kind: 'ok', version });
const conflict = (version: number, value: string): RegisterOutput => ({
  kind: 'conflict',
  version,
  value,
});
const unknown: RegisterOutput = { kind: 'unknown' };
const U = Number.POSITIVE_INFINITY;

const verdict = (history: Op[], model = register) => checkLinearizable(model, history).kind;

describe('the linearizability checker on a versioned register', () => {
  it('accepts a sequential history of reads and If-Match writes', () => {
    expect(
      verdict([
        read(0, 0, 1, found(1, 'a')),
        write(0, 2, 3, 1, 'b', ok(2)),
        read(1, 4, 5, found(2, 'b')),
        write(1, 6, 7, 1, 'c', conflict(2, 'b')),
      ]),
    ).toBe('linearizable');
  });

  it('accepts concurrent writers with the same If-Match when exactly one wins', () => {
    expect(
      verdict([
        write(0, 0, 10, 1, 'b', conflict(2, 'c')),
        write(1, 1, 9, 1, 'c', ok(2)),
        read(2, 11, 12, found(2, 'c')),
      ]),
    ).toBe('linearizable');
  });

  it('refuses two successful writes with the same If-Match (a lost update)', () => {
    expect(verdict([write(0, 0, 10, 1, 'b', ok(2)), write(1, 1, 9, 1, 'c', ok(2))])).toBe(
      'not-linearizable',
    );
  });

  it('refuses a success whose new version skips one', () => {
    expect(verdict([write(0, 0, 1, 1, 'b', ok(3))])).toBe('not-linearizable');
  });

  it('refuses a stale read after a write has returned', () => {
    expect(verdict([write(0, 0, 1, 1, 'b', ok(2)), read(1, 2, 3, found(1, 'a'))])).toBe(
      'not-linearizable',
    );
  });

  it('lets a read that overlaps a write see either value', () => {
    const w = write(0, 0, 10, 1, 'b', ok(2));
    expect(verdict([w, read(1, 1, 2, found(1, 'a'))])).toBe('linearizable');
    expect(verdict([w, read(1, 1, 2, found(2, 'b'))])).toBe('linearizable');
  });

  it('refuses two overlapping reads that see the new value and then the old one in sequence', () => {
    expect(
      verdict([
        write(0, 0, 10, 1, 'b', ok(2)),
        read(1, 1, 2, found(2, 'b')),
        read(1, 3, 4, found(1, 'a')),
      ]),
    ).toBe('not-linearizable');
  });

  it('refuses a conflict answer that carries a state which never existed', () => {
    expect(verdict([write(0, 0, 1, 7, 'b', conflict(1, 'zzz'))])).toBe('not-linearizable');
  });

  it('refuses a conflict when the write named the current version', () => {
    expect(verdict([write(0, 0, 1, 1, 'b', conflict(1, 'a'))])).toBe('not-linearizable');
  });

  it('accepts not-found only while the document is absent', () => {
    const absent = versionedRegister({ exists: false });
    expect(verdict([read(0, 0, 1, { kind: 'not-found' })], absent)).toBe('linearizable');
    expect(verdict([read(0, 0, 1, { kind: 'not-found' })])).toBe('not-linearizable');
    expect(verdict([write(0, 0, 1, 1, 'b', ok(2))], absent)).toBe('not-linearizable');
  });

  describe('with unknown outcomes', () => {
    it('accepts a timed-out write that took effect, seen by a later read', () => {
      expect(verdict([write(0, 0, U, 1, 'b', unknown), read(1, 5, 6, found(2, 'b'))])).toBe(
        'linearizable',
      );
    });

    it('accepts a timed-out write that never took effect', () => {
      expect(
        verdict([
          write(0, 0, U, 1, 'b', unknown),
          read(1, 5, 6, found(1, 'a')),
          read(1, 7, 8, found(1, 'a')),
        ]),
      ).toBe('linearizable');
    });

    it('accepts a timed-out write taking effect after later operations', () => {
      expect(
        verdict([
          write(0, 0, U, 2, 'x', unknown),
          write(1, 1, 2, 1, 'b', ok(2)),
          read(1, 3, 4, found(2, 'b')),
          read(1, 5, 6, found(3, 'x')),
        ]),
      ).toBe('linearizable');
    });

    it('refuses a read that sees a timed-out write before it was called', () => {
      expect(verdict([read(1, 0, 1, found(2, 'b')), write(0, 2, U, 1, 'b', unknown)])).toBe(
        'not-linearizable',
      );
    });

    it('refuses a timed-out write taking effect twice', () => {
      expect(
        verdict([
          write(0, 0, U, 1, 'b', unknown),
          read(1, 1, 2, found(2, 'b')),
          write(1, 3, 4, 2, 'c', ok(3)),
          read(1, 5, 6, found(4, 'b')),
        ]),
      ).toBe('not-linearizable');
    });

    it('refuses a timed-out write whose If-Match never matched but whose value is read', () => {
      expect(verdict([write(0, 0, U, 5, 'b', unknown), read(1, 1, 2, found(2, 'b'))])).toBe(
        'not-linearizable',
      );
    });

    it('accepts a timed-out read whatever happened', () => {
      expect(verdict([read(0, 0, U, unknown), write(1, 1, 2, 1, 'b', ok(2))])).toBe('linearizable');
    });
  });

  it('gives the longest legal prefix and where it got stuck', () => {
    const result = checkLinearizable(register, [
      write(0, 0, 1, 1, 'b', ok(2)),
      read(1, 2, 3, found(1, 'a')),
    ]);
    expect(result).toMatchObject({ kind: 'not-linearizable', longestPrefix: [0], stuckAt: [1] });
  });

  it('visits each (linearized set, state) pair once, so equivalent orders are not searched again', () => {
    // Without the cache this is 14! orders; with it, at most 14 × 2^14 steps.
    const history = Array.from({ length: 14 }, (_, i) => read(i, 0, 10, found(1, 'a')));
    history.push(read(99, 11, 12, found(9, 'never')));
    const result = checkLinearizable(register, history);
    expect(result.kind).toBe('not-linearizable');
    expect(result.steps).toBeLessThanOrEqual(14 * 2 ** 14);
  });

  it('answers unknown when the step budget runs out', () => {
    const history = Array.from({ length: 12 }, (_, i) => read(i, 0, 10, found(1, 'a')));
    history.push(read(99, 11, 12, found(9, 'never')));
    expect(checkLinearizable(register, history, { maxSteps: 5 }).kind).toBe('unknown');
  });

  it('refuses an operation that returns before its call', () => {
    expect(() => verdict([read(0, 5, 4, found(1, 'a'))])).toThrow(/before its call/);
  });

  /**
   * Histories made by a real atomic register: each operation takes effect at
   * one instant inside its interval. Every such history must pass, and
   * changing one answer to a value never written must fail.
   */
  const atomicHistory = fc
    .array(
      fc.record({
        client: fc.nat(7),
        start: fc.nat(1000),
        length: fc.integer({ min: 1, max: 60 }),
        at: fc.double({ min: 0, max: 1, noNaN: true }),
        write: fc.boolean(),
        stale: fc.nat(2),
        timedOut: fc.double({ min: 0, max: 1, noNaN: true }),
      }),
      { minLength: 1, maxLength: 40 },
    )
    .map((specs) => {
      const ops = specs
        .map((spec, n) => ({ ...spec, n, point: spec.start + spec.at * spec.length }))
        .sort((a, b) => a.point - b.point);
      let state = { version: 1, value: 'a' };
      return ops.map((spec): Op => {
        const ret = spec.timedOut < 0.15 ? U : spec.start + spec.length;
        if (!spec.write) {
          const output = ret === U ? unknown : found(state.version, state.value);
          return read(spec.client, spec.start, ret, output);
        }
        const ifMatch = Math.max(1, state.version - spec.stale);
        const value = `v${spec.n}`;
        const applies = ifMatch === state.version;
        const output = applies ? ok(state.version + 1) : conflict(state.version, state.value);
        if (applies) state = { version: state.version + 1, value };
        return write(spec.client, spec.start, ret, ifMatch, value, ret === U ? unknown : output);
      });
    });

  it('accepts every history an atomic register produces', () => {
    fc.assert(
      fc.property(atomicHistory, (history) => {
        expect(verdict(history)).toBe('linearizable');
      }),
      { numRuns: 300 },
    );
  });

  it('refuses such a history once one read answers a value nobody wrote', () => {
    fc.assert(
      fc.property(
        atomicHistory.filter((h) => h.some((op) => op.output.kind === 'found')),
        fc.nat(),
        (history, pick) => {
          const reads = history
            .map((op, index) => ({ op, index }))
            .filter(({ op }) => op.output.kind === 'found');
          const target = reads[pick % reads.length];
          if (!target) return;
          const forged = history.map((op, index) =>
            index === target.index ? { ...op, output: found(1, 'never written') } : op,
          );
          expect(verdict(forged)).toBe('not-linearizable');
        },
      ),
      { numRuns: 300 },
    );
  });
});
