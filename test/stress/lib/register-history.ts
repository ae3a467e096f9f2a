/**
 * Records a concurrent history of one document through the real HTTP API:
 * each client reads the document, then writes a new value with `If-Match`
 * of the version it read. Some calls are abandoned on purpose (aborted after
 * a random few milliseconds) and recorded as unknown outcomes, as a client
 * timeout would be: the server may still carry them out.
 */
import type { Operation, RegisterInput, RegisterOutput } from './linearizability';

export type RegisterOperation = Operation<RegisterInput, RegisterOutput>;

export interface HistoryOptions {
  readonly baseUrl: string;
  readonly headers: Record<string, string>;
  /** e.g. `/v1/items/doc-1`; the document must exist. */
  readonly path: string;
  readonly clients: number;
  /** Read-then-write rounds per client. */
  readonly rounds: number;
  /** Chance that a call is abandoned a few milliseconds after it was sent. */
  readonly abandonChance: number;
  /** Any answer slower than this is abandoned too. */
  readonly timeoutMs: number;
  /** Deterministic randomness for who abandons what. */
  readonly random: () => number;
}

export interface RecordedHistory {
  readonly operations: RegisterOperation[];
  /** Answers the register model has no place for (5xx, unexpected statuses): must stay empty. */
  readonly unexpected: string[];
}

const UNKNOWN: RegisterOutput = { kind: 'unknown' };

type Answer = { status: number; body: unknown } | undefined;

/** One call; undefined when it was abandoned or the connection failed. */
const call = async (
  options: HistoryOptions,
  method: 'GET' | 'PUT',
  headers: Record<string, string>,
  body?: string,
): Promise<Answer> => {
  const controller = new AbortController();
  const abandon =
    options.random() < options.abandonChance ? Math.floor(options.random() * 8) : options.timeoutMs;
  const timer = setTimeout(() => controller.abort(), abandon);
  try {
    const response = await fetch(`${options.baseUrl}${options.path}`, {
      method,
      headers: { ...options.headers, ...headers },
      ...(body !== undefined ? { body } : {}),
      signal: controller.signal,
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : undefined };
  } catch {
    return undefined;
  } finally {
    clearTimeout(timer);
  }
};

const readOutput = (answer: Answer, unexpected: string[]): RegisterOutput => {
  if (!answer) return UNKNOWN;
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
  const body = answer.body as any;
  if (answer.status === 200) return { kind: 'found', version: body.version, value: body.value };
  if (answer.status === 404) return { kind: 'not-found' };
  if (answer.status !== 503) unexpected.push(`GET answered ${answer.status}`);
  return UNKNOWN;
};

const writeOutput = (answer: Answer, unexpected: string[]): RegisterOutput => {
  if (!answer) return UNKNOWN;
  // biome-ignore lint/suspicious/noExplicitAny: answers are checked field by field
  const body = answer.body as any;
  if (answer.status === 200) return { kind: 'ok', version: body.version };
  if (answer.status === 409 && body?.type?.endsWith('#problem-version-mismatch')) {
    return {
      kind: 'conflict',
      version: body.current.version,
      value: body.current.document.value,
    };
  }
  if (answer.status === 404) return { kind: 'not-found' };
  // 503 is an outcome the server itself does not know: the write may have happened.
  if (answer.status !== 503) unexpected.push(`PUT answered ${answer.status}: ${body?.type}`);
  return UNKNOWN;
};

/** Runs the workload and returns every call with its call and return time. */
export const recordRegisterHistory = async (options: HistoryOptions): Promise<RecordedHistory> => {
  const operations: RegisterOperation[] = [];
  const unexpected: string[] = [];
  const timed = async (
    client: number,
    input: RegisterInput,
    run: () => Promise<RegisterOutput>,
  ): Promise<RegisterOutput> => {
    const start = performance.now();
    const output = await run();
    const end = output.kind === 'unknown' ? Number.POSITIVE_INFINITY : performance.now();
    operations.push({ client, input, output, call: start, return: end });
    return output;
  };
  const client = async (id: number) => {
    for (let round = 0; round < options.rounds; round++) {
      const read = await timed(id, { kind: 'read' }, async () =>
        readOutput(await call(options, 'GET', {}), unexpected),
      );
      if (read.kind !== 'found') continue;
      const value = `client ${id} round ${round}`;
      await timed(id, { kind: 'write', ifMatch: read.version, value }, async () =>
        writeOutput(
          await call(
            options,
            'PUT',
            { 'content-type': 'application/json', 'if-match': `"${read.version}"` },
            JSON.stringify({ value }),
          ),
          unexpected,
        ),
      );
    }
  };
  await Promise.all(Array.from({ length: options.clients }, (_, id) => client(id)));
  return { operations, unexpected };
};
