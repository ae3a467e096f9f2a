/** The supervisor's restart policy, over fake DynamoDB Local instances. */
import { describe, expect, it } from 'vitest';
import type { DynamoExit, DynamoLocal, StartDynamoLocalOptions } from '../../../local/dynamo-local';
import { DynamoPortInUseError } from '../../../local/ports';
import { type SupervisorOptions, superviseDynamoLocal } from '../../../local/supervisor';

interface FakeInstance extends DynamoLocal {
  die(exit: DynamoExit): void;
  readonly stopped: () => boolean;
}

/** A fake `start`: each call takes the next outcome (an instance, or an error to throw). */
const fakeStarts = (outcomes: Array<'ok' | Error>) => {
  const calls: StartDynamoLocalOptions[] = [];
  const instances: FakeInstance[] = [];
  const start = async (options: StartDynamoLocalOptions): Promise<DynamoLocal> => {
    calls.push(options);
    const outcome = outcomes.shift() ?? 'ok';
    if (outcome instanceof Error) throw outcome;
    let die!: (exit: DynamoExit) => void;
    const exited = new Promise<DynamoExit>((resolve) => {
      die = resolve;
    });
    let stopped = false;
    const port = options.port || 40_000 + calls.length;
    const instance: FakeInstance = {
      endpoint: `http://127.0.0.1:${port}`,
      port,
      pid: 1000 + calls.length,
      exited,
      die,
      stopped: () => stopped,
      stop: async () => {
        stopped = true;
        die({ code: null, signal: 'SIGTERM' });
      },
    };
    instances.push(instance);
    return instance;
  };
  return { start, calls, instances };
};

const until = async (condition: () => boolean): Promise<void> => {
  for (let i = 0; i < 500 && !condition(); i++) await new Promise((r) => setTimeout(r, 2));
  expect(condition()).toBe(true);
};

const supervise = (start: SupervisorOptions['start'], extra: Partial<SupervisorOptions> = {}) => {
  const lines: string[] = [];
  const gaveUp: string[] = [];
  const restarts: DynamoLocal[] = [];
  const supervised = superviseDynamoLocal({
    path: '/data/dynamodb',
    prepare: async () => undefined,
    initialBackoffMs: 1,
    log: (line) => lines.push(line),
    onRestart: (next) => {
      restarts.push(next);
    },
    onGiveUp: (message) => gaveUp.push(message),
    ...(start ? { start } : {}),
    ...extra,
  });
  return { supervised, lines, gaveUp, restarts };
};

describe('superviseDynamoLocal', () => {
  it('restarts an instance that died on the same port and data, saying so once per event', async () => {
    const fake = fakeStarts([]);
    const { supervised, lines, restarts } = supervise(fake.start);
    const dynamo = await supervised;
    const first = fake.instances[0] as FakeInstance;
    first.die({ code: null, signal: 'SIGKILL' });
    await until(() => restarts.length === 1);
    expect(fake.calls[1]).toEqual({ path: '/data/dynamodb', port: first.port });
    expect(dynamo.current()).toBe(fake.instances[1]);
    expect(first.stopped()).toBe(true);
    expect(lines).toEqual([
      'DynamoDB Local was killed by SIGKILL unexpectedly; restarting it in 0.001 s (attempt 1 of 5)',
      `DynamoDB Local restarted on ${first.endpoint} (pid 1002)`,
    ]);
    await dynamo.stop();
  });

  it('takes any free port when its old one was taken meanwhile', async () => {
    const fake = fakeStarts(['ok', new DynamoPortInUseError(40_001), 'ok']);
    const { supervised, restarts } = supervise(fake.start);
    const dynamo = await supervised;
    (fake.instances[0] as FakeInstance).die({ code: 1, signal: null });
    await until(() => restarts.length === 1);
    expect(fake.calls.slice(1)).toEqual([
      { path: '/data/dynamodb', port: 40_001 },
      { path: '/data/dynamodb' },
    ]);
    expect(restarts[0]?.endpoint).toBe('http://127.0.0.1:40003');
    await dynamo.stop();
  });

  it('doubles the wait after each failure in a row and gives up after five', async () => {
    const fail = () => new Error('java exited\nwith a long story');
    const fake = fakeStarts(['ok', fail(), fail(), fail(), fail(), fail()]);
    const { supervised, lines, gaveUp } = supervise(fake.start);
    await supervised;
    (fake.instances[0] as FakeInstance).die({ code: 137, signal: null });
    await until(() => gaveUp.length === 1);
    expect(lines.map((line) => /in ([\d.]+) s \(attempt (\d) of 5\)/.exec(line)?.slice(1))).toEqual(
      [
        ['0.001', '1'],
        ['0.002', '2'],
        ['0.004', '3'],
        ['0.008', '4'],
        ['0.016', '5'],
      ],
    );
    expect(lines[1]).toMatch(/^DynamoDB Local could not be restarted: java exited; restarting/);
    expect(gaveUp).toEqual([
      'DynamoDB Local failed 5 times in a row (last: could not be restarted: java exited); giving up',
    ]);
    expect(fake.calls).toHaveLength(6);
  });

  it('counts an instance that dies right after a restart as another failure in a row', async () => {
    const fake = fakeStarts([]);
    const { supervised, gaveUp, restarts } = supervise(fake.start);
    await supervised;
    for (let n = 0; n < 5; n++) {
      (fake.instances[n] as FakeInstance).die({ code: null, signal: 'SIGKILL' });
      await until(() => restarts.length === n + 1);
    }
    (fake.instances[5] as FakeInstance).die({ code: null, signal: 'SIGKILL' });
    await until(() => gaveUp.length === 1);
  });

  it('starts a new count once an instance has run long enough', async () => {
    const fake = fakeStarts([]);
    const { supervised, gaveUp, restarts } = supervise(fake.start, { stableAfterMs: 0 });
    const dynamo = await supervised;
    for (let n = 0; n < 8; n++) {
      (fake.instances[n] as FakeInstance).die({ code: null, signal: 'SIGKILL' });
      await until(() => restarts.length === n + 1);
    }
    expect(gaveUp).toEqual([]);
    await dynamo.stop();
  });

  it('stops a restarted instance whose table cannot be prepared, and counts it as a failure', async () => {
    const fake = fakeStarts([]);
    let prepares = 0;
    const { supervised, lines, restarts } = supervise(fake.start, {
      prepare: async () => {
        if (++prepares === 2) throw new Error('table check timed out');
      },
    });
    const dynamo = await supervised;
    (fake.instances[0] as FakeInstance).die({ code: null, signal: 'SIGKILL' });
    await until(() => restarts.length === 1);
    expect((fake.instances[1] as FakeInstance).stopped()).toBe(true);
    expect(lines[1]).toMatch(
      /could not be restarted: table check timed out; restarting it in 0.002 s/,
    );
    expect(dynamo.current()).toBe(fake.instances[2]);
    await dynamo.stop();
  });

  it('does not restart what it was asked to stop', async () => {
    const fake = fakeStarts([]);
    const { supervised, lines } = supervise(fake.start);
    const dynamo = await supervised;
    await dynamo.stop();
    await new Promise((r) => setTimeout(r, 20));
    expect(fake.calls).toHaveLength(1);
    expect(lines).toEqual([]);
  });
});
