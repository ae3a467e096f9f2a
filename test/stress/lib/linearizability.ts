/**
 * A linearizability checker: Wing & Gong's search with Lowe's memoization,
 * the way Porcupine implements it. A history is a set of operations, each
 * with the time it was called and the time it returned; an operation whose
 * outcome is unknown (a client timeout) returns at +∞, so it may take effect
 * at any point after its call, or never.
 *
 * The history is linearizable when some total order of its operations
 * (1) respects real time: an operation that returned before another was
 * called comes first, and (2) is a legal sequential run of the model.
 */

/** One completed (or timed-out) call of a sequential object. */
export interface Operation<I, O> {
  /** Who called: for reports only. */
  readonly client: number;
  readonly input: I;
  readonly output: O;
  /** When the call was made, on one clock shared by all clients. */
  readonly call: number;
  /** When the answer arrived; `Infinity` when it never did (unknown outcome). */
  readonly return: number;
}

export type StepResult<S> = { readonly ok: true; readonly state: S } | { readonly ok: false };

/** A sequential specification. `step` must be a pure function. */
export interface Model<S, I, O> {
  readonly init: S;
  /** Whether `input` answered with `output` is legal in `state`, and the state after it. */
  step(state: S, input: I, output: O): StepResult<S>;
  /** Equal states must have equal keys: the memoization cache is keyed by it. */
  key(state: S): string;
}

export type CheckResult =
  | { readonly kind: 'linearizable'; readonly steps: number }
  | {
      readonly kind: 'not-linearizable';
      readonly steps: number;
      /** The longest legal order found: indices into the history. */
      readonly longestPrefix: readonly number[];
      /** Operations that could not be placed after that prefix while respecting real time. */
      readonly stuckAt: readonly number[];
    }
  /** The search used up its step budget without an answer. */
  | { readonly kind: 'unknown'; readonly steps: number };

interface Entry {
  readonly kind: 'call' | 'return';
  /** Index of the operation in the history. */
  readonly op: number;
  readonly time: number;
  /** A call's return entry. */
  match?: Entry;
  prev?: Entry;
  next?: Entry;
}

/** A fixed-size set of operation indices with a compact string key. */
class Bitset {
  private readonly words: Uint32Array;
  constructor(size: number) {
    this.words = new Uint32Array(Math.ceil(size / 32));
  }
  set(i: number): void {
    this.words[i >>> 5] = (this.words[i >>> 5] ?? 0) | (1 << (i & 31));
  }
  clear(i: number): void {
    this.words[i >>> 5] = (this.words[i >>> 5] ?? 0) & ~(1 << (i & 31));
  }
  keyWith(i: number): string {
    const word = i >>> 5;
    let key = '';
    for (let w = 0; w < this.words.length; w++) {
      const bits = (this.words[w] ?? 0) | (w === word ? 1 << (i & 31) : 0);
      key += (bits >>> 0).toString(36);
      key += ',';
    }
    return key;
  }
}

/**
 * The entries of a history as a doubly linked list behind a sentinel head,
 * sorted by time. At equal times calls come first, so operations that merely
 * touch are treated as concurrent (the permissive reading).
 */
const entryList = <I, O>(history: readonly Operation<I, O>[]): Entry => {
  const entries: Entry[] = [];
  history.forEach((operation, op) => {
    if (!(operation.return >= operation.call)) {
      throw new Error(
        `operation ${op} returns (${operation.return}) before its call (${operation.call})`,
      );
    }
    const ret: Entry = { kind: 'return', op, time: operation.return };
    entries.push({ kind: 'call', op, time: operation.call, match: ret }, ret);
  });
  entries.sort((a, b) =>
    a.time !== b.time ? a.time - b.time : a.kind === b.kind ? 0 : a.kind === 'call' ? -1 : 1,
  );
  const head: Entry = { kind: 'call', op: -1, time: Number.NEGATIVE_INFINITY };
  let last = head;
  for (const entry of entries) {
    last.next = entry;
    entry.prev = last;
    last = entry;
  }
  return head;
};

/** Takes a call and its return out of the list. */
const lift = (call: Entry): void => {
  const ret = call.match as Entry;
  (call.prev as Entry).next = call.next;
  (call.next as Entry).prev = call.prev;
  (ret.prev as Entry).next = ret.next;
  if (ret.next) ret.next.prev = ret.prev;
};

/** Puts a lifted call and its return back where they were. */
const unlift = (call: Entry): void => {
  const ret = call.match as Entry;
  (ret.prev as Entry).next = ret;
  if (ret.next) ret.next.prev = ret;
  (call.prev as Entry).next = call;
  (call.next as Entry).prev = call;
};

/**
 * Decides whether `history` is linearizable with respect to `model`.
 *
 * @param options.maxSteps search budget (model steps tried); default 10 million
 */
export const checkLinearizable = <S, I, O>(
  model: Model<S, I, O>,
  history: readonly Operation<I, O>[],
  options: { maxSteps?: number } = {},
): CheckResult => {
  const maxSteps = options.maxSteps ?? 10_000_000;
  const head = entryList(history);
  const linearized = new Bitset(history.length);
  const cache = new Set<string>();
  const calls: { entry: Entry; state: S }[] = [];
  let state = model.init;
  let entry = head.next;
  let steps = 0;
  let longestPrefix: number[] = [];
  let stuckAt: number[] = [];

  while (head.next) {
    if (!entry) throw new Error('unreachable: a call always has its return after it');
    if (entry.kind === 'call') {
      const operation = history[entry.op] as Operation<I, O>;
      if (++steps > maxSteps) return { kind: 'unknown', steps };
      const result = model.step(state, operation.input, operation.output);
      const key = result.ok ? `${linearized.keyWith(entry.op)}|${model.key(result.state)}` : '';
      if (result.ok && !cache.has(key)) {
        cache.add(key);
        calls.push({ entry, state });
        state = result.state;
        linearized.set(entry.op);
        lift(entry);
        entry = head.next;
      } else {
        entry = entry.next;
      }
    } else {
      // A return with its call still pending: nothing before it can go next. Backtrack.
      if (calls.length >= longestPrefix.length) {
        longestPrefix = calls.map((c) => c.entry.op);
        stuckAt = pendingCallsUpTo(head, entry);
      }
      const top = calls.pop();
      if (!top) return { kind: 'not-linearizable', steps, longestPrefix, stuckAt };
      state = top.state;
      linearized.clear(top.entry.op);
      unlift(top.entry);
      entry = top.entry.next;
    }
  }
  return { kind: 'linearizable', steps };
};

/** The operations whose calls are still in the list before `until`. */
const pendingCallsUpTo = (head: Entry, until: Entry): number[] => {
  const pending: number[] = [];
  for (let e = head.next; e && e !== until; e = e.next) if (e.kind === 'call') pending.push(e.op);
  return pending;
};

// ---------------------------------------------------------------------------
// The model Concord's documents follow: a versioned register.

/** A document: absent, or present at a version with a value. */
export type RegisterState =
  | { readonly exists: false }
  | { readonly exists: true; readonly version: number; readonly value: string };

export type RegisterInput =
  | { readonly kind: 'read' }
  /** A write with `If-Match: "<ifMatch>"` that sets the value. */
  | { readonly kind: 'write'; readonly ifMatch: number; readonly value: string };

export type RegisterOutput =
  /** A read's answer (200). */
  | { readonly kind: 'found'; readonly version: number; readonly value: string }
  /** 404, for a read or a write. */
  | { readonly kind: 'not-found' }
  /** A write's success: the new version. */
  | { readonly kind: 'ok'; readonly version: number }
  /** A write's 409, with the current state it carries. */
  | { readonly kind: 'conflict'; readonly version: number; readonly value: string }
  /** No answer (timeout, aborted, connection lost): may or may not have taken effect. */
  | { readonly kind: 'unknown' };

const same: StepResult<RegisterState> = { ok: false };

/**
 * The sequential specification of one document under reads and
 * `If-Match` writes: a write succeeds exactly when the document is at the
 * version it names, and the new version is one more.
 */
export const versionedRegister = (
  init: RegisterState,
): Model<RegisterState, RegisterInput, RegisterOutput> => ({
  init,
  key: (s) => (s.exists ? `${s.version}:${s.value}` : '-'),
  step(state, input, output) {
    const keep = { ok: true, state } as const;
    if (output.kind === 'unknown') {
      // If it happened here, it happened as the server would have done it.
      if (input.kind === 'write' && state.exists && state.version === input.ifMatch) {
        return {
          ok: true,
          state: { exists: true, version: state.version + 1, value: input.value },
        };
      }
      return keep;
    }
    if (output.kind === 'not-found') return state.exists ? same : keep;
    if (!state.exists) return same;
    if (input.kind === 'read') {
      return output.kind === 'found' &&
        output.version === state.version &&
        output.value === state.value
        ? keep
        : same;
    }
    if (output.kind === 'ok') {
      return state.version === input.ifMatch && output.version === input.ifMatch + 1
        ? { ok: true, state: { exists: true, version: output.version, value: input.value } }
        : same;
    }
    if (output.kind === 'conflict') {
      return state.version !== input.ifMatch &&
        output.version === state.version &&
        output.value === state.value
        ? keep
        : same;
    }
    return same;
  },
});

/** A one-line description of an operation, for failure reports. */
export const describeOperation = (
  operation: Operation<RegisterInput, RegisterOutput>,
  index: number,
): string => {
  const { input, output } = operation;
  const call =
    input.kind === 'read'
      ? 'read'
      : `write(If-Match ${input.ifMatch}, ${JSON.stringify(input.value)})`;
  const answer =
    output.kind === 'found' || output.kind === 'conflict'
      ? `${output.kind} v${output.version} ${JSON.stringify(output.value)}`
      : output.kind === 'ok'
        ? `ok v${output.version}`
        : output.kind;
  const end = Number.isFinite(operation.return) ? operation.return.toFixed(1) : '∞';
  return `#${index} client ${operation.client} [${operation.call.toFixed(1)}, ${end}] ${call} -> ${answer}`;
};
