/**
 * Linearizability of one document under concurrent clients, through the real
 * HTTP API over DynamoDB Local: 16 clients each read the document and write
 * it back with If-Match of what they read; some calls are abandoned
 * mid-flight and recorded as unknown outcomes. Every recorded history must be
 * linearizable with respect to a versioned register.
 *
 * The same workload against a store that checks the version in code and
 * then writes without it in the condition (read-then-write) must be caught:
 * that proves the check can fail.
 */
import { afterAll, describe, expect, it } from 'vitest';
import type { ItemStore } from '../../functions/core/items-model';
import { type PlanPart, PlanRefusedError } from '../../functions/core/write-plan';
import { freshId, send } from '../helpers/http';
import { startApi, type TestApi } from '../helpers/local-api';
import {
  type CheckResult,
  checkLinearizable,
  describeOperation,
  versionedRegister,
} from './lib/linearizability';
import { seededRandom, seedFrom } from './lib/random';
import { type RecordedHistory, recordRegisterHistory } from './lib/register-history';

const CLIENTS = 16;
const ROUNDS = 8;
/** Histories recorded against the real store, each checked. */
const HISTORIES = 6;
/** Histories recorded against the broken store; one violation is enough. */
const BROKEN_HISTORIES = 4;
const ABANDON_CHANCE = 0.04;
/** Up to a few minutes of search on a loaded machine; histories here have needed up to 15 million steps. */
const MAX_STEPS = 50_000_000;

const seed = seedFrom('STRESS_SEED');
const random = seededRandom(seed);
const apis: TestApi[] = [];
afterAll(async () => {
  await Promise.all(apis.map((api) => api.close()));
});

interface Checked {
  readonly history: RecordedHistory;
  readonly result: CheckResult;
  readonly checkMs: number;
}

/** Creates a fresh document, records one history on it and checks it. */
const recordAndCheck = async (api: TestApi): Promise<Checked> => {
  const id = freshId();
  // The previous check held the event loop for seconds, so a pooled
  // connection may have been closed by the server meanwhile: a create that
  // met such a connection is sent again (then 409: the first one created it).
  const create = () =>
    send(api.baseUrl, 'POST', '/v1/items', {
      body: { id, value: 'initial' },
      headers: api.headers,
    });
  const first = await create().catch(() => undefined);
  if (first) expect(first.status).toBe(201);
  else expect([201, 409]).toContain((await create()).status);
  const history = await recordRegisterHistory({
    baseUrl: api.baseUrl,
    headers: api.headers,
    path: `/v1/items/${id}`,
    clients: CLIENTS,
    rounds: ROUNDS,
    abandonChance: ABANDON_CHANCE,
    timeoutMs: 10_000,
    random,
  });
  const started = performance.now();
  const model = versionedRegister({ exists: true, version: 1, value: 'initial' });
  const result = checkLinearizable(model, history.operations, { maxSteps: MAX_STEPS });
  return { history, result, checkMs: performance.now() - started };
};

const explain = ({ history, result }: Checked): string => {
  if (result.kind !== 'not-linearizable') return result.kind;
  const ops = history.operations;
  const line = (i: number) => {
    const op = ops[i];
    return op ? describeOperation(op, i) : `#${i}`;
  };
  const tail = result.longestPrefix.slice(-8).map(line);
  const stuck = result.stuckAt.map(line);
  return [
    `not linearizable after ${result.longestPrefix.length} of ${ops.length} operations`,
    'last operations of the longest legal order:',
    ...tail,
    'none of these could come next:',
    ...stuck,
  ].join('\n');
};

const summary = (label: string, checked: readonly Checked[]): string => {
  const sizes = checked.map((c) => c.history.operations.length);
  const unknown = checked.map(
    (c) => c.history.operations.filter((op) => op.output.kind === 'unknown').length,
  );
  const verdicts = checked.map((c) => c.result.kind);
  return (
    `linearizability (${label}): ${checked.length} histories checked (seed ${seed}), ` +
    `${sizes.join(', ')} operations each, ${unknown.join(', ')} with unknown outcome; ` +
    `verdicts: ${verdicts.join(', ')}; search steps ${checked.map((c) => c.result.steps).join(', ')}; ` +
    `check ms ${checked.map((c) => Math.round(c.checkMs)).join(', ')}`
  );
};

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The classic mistake this project exists to avoid: read the document, check
 * the version in code, wait a moment, then write on top of whatever is stored
 * by then, without the version the client matched in the condition. Two
 * writers that read the same version can both win. The plan stays valid: the
 * document part pins the version it now replaces, and the history entry
 * follows it.
 */
const readThenWriteStore = (store: ItemStore): ItemStore => ({
  ...store,
  async commit(plan) {
    const document = plan.parts.find((part) => part.kind === 'document');
    const versionIn = document?.condition.versionIn;
    if (!document || !versionIn) return store.commit(plan);
    const read = await store.get(document.key);
    const live = read && !read.deleted ? read : undefined;
    if (!(live && versionIn.includes(live.version))) {
      throw new PlanRefusedError(
        plan.parts.map((part) =>
          part === document ? { kind: 'document', current: read } : undefined,
        ),
      );
    }
    await sleep(Math.floor(Math.random() * 6));
    const now = await store.get(document.key);
    const expectedVersion = now?.version ?? null;
    const { versionIn: _in, ...unversioned } = document.condition;
    const parts = plan.parts.map((part): PlanPart => {
      if (part === document) return { ...document, condition: { ...unversioned, expectedVersion } };
      if (part.kind === 'history') {
        return { ...part, entry: { ...part.entry, version: (expectedVersion ?? 0) + 1 } };
      }
      return part;
    });
    return store.commit({ parts });
  },
});

describe('one document under 16 concurrent read-then-If-Match-write clients', () => {
  it('gives linearizable histories, unknown outcomes included', async () => {
    const api = await startApi();
    apis.push(api);
    const checked: Checked[] = [];
    for (let i = 0; i < HISTORIES; i++) checked.push(await recordAndCheck(api));
    console.log(summary('real store', checked));
    for (const c of checked) {
      expect(c.history.unexpected).toEqual([]);
      expect(c.result.kind, explain(c)).toBe('linearizable');
      // Each history really raced: several writes were refused as stale.
      const conflicts = c.history.operations.filter((op) => op.output.kind === 'conflict');
      expect(conflicts.length).toBeGreaterThan(0);
    }
  });

  it('catches a store that checks the version before writing instead of in the write', async () => {
    const api = await startApi({ wrapStore: readThenWriteStore });
    apis.push(api);
    const checked: Checked[] = [];
    for (let i = 0; i < BROKEN_HISTORIES; i++) checked.push(await recordAndCheck(api));
    console.log(summary('read-then-write store', checked));
    const violations = checked.filter((c) => c.result.kind === 'not-linearizable');
    if (violations[0]) console.log(explain(violations[0]));
    expect(violations.length).toBeGreaterThan(0);
  });
});
