/**
 * Transactions in the client: the requests and answers of one-shot and
 * staged transactions, and the optimistic loop behind `updateMany()`.
 */
import { InvalidResponseError, TransactionConflictError } from './errors.js';
import { formatEntityTag, newIdempotencyKey } from './representation.js';
import { backoffDelay } from './retry.js';
import type {
  OperationResult,
  StagedTransactionState,
  TransactionOperation,
  TransactionOptions,
  TransactionResult,
} from './transaction-types.js';
import type { RawResponse, RequestSpec } from './transport.js';
import type { BackoffPolicy, CallOptions, JsonObject, Stored, VersionedDocument } from './types.js';
import { withoutSystemFields } from './update-loop.js';

const TRANSACTIONS = '/v1/transactions';
const STAGED = `${TRANSACTIONS}/staged`;

/** An operation as the server reads it: entity tags quoted, the rest as given. */
function toWire(operation: TransactionOperation): Record<string, unknown> {
  const wire: Record<string, unknown> = { ...operation };
  if ('ifMatch' in operation && operation.ifMatch !== undefined) {
    wire.ifMatch = formatEntityTag(operation.ifMatch);
  }
  if ('ifNoneMatch' in operation && operation.ifNoneMatch !== undefined) {
    wire.ifNoneMatch = formatEntityTag(operation.ifNoneMatch);
  }
  return wire;
}

export function transactionSpec(
  operations: readonly TransactionOperation[],
  options: TransactionOptions,
): RequestSpec {
  return {
    method: 'POST',
    path: TRANSACTIONS,
    body: { operations: operations.map(toWire) },
    // Made once per call, so every retry of this call carries the same key.
    idempotencyKey:
      options.idempotencyKey === false
        ? undefined
        : (options.idempotencyKey ?? newIdempotencyKey()),
  };
}

export function beginSpec(ttlSeconds: number | undefined): RequestSpec {
  return {
    method: 'POST',
    path: STAGED,
    ...(ttlSeconds !== undefined ? { body: { ttlSeconds } } : {}),
  };
}

const stagedPath = (id: string) => `${STAGED}/${encodeURIComponent(id)}`;

export const stagedSpecs = {
  get: (id: string): RequestSpec => ({ method: 'GET', path: stagedPath(id) }),
  /** Not repeated after a lost answer: a second add of the same document is refused. */
  add: (id: string, operation: TransactionOperation): RequestSpec => ({
    method: 'POST',
    path: `${stagedPath(id)}/operations`,
    body: toWire(operation),
  }),
  /** A repeated commit answers the first commit's results: safe to send again. */
  commit: (id: string): RequestSpec => ({
    method: 'POST',
    path: `${stagedPath(id)}/commit`,
    repeatable: true,
  }),
  abort: (id: string): RequestSpec => ({
    method: 'DELETE',
    path: stagedPath(id),
    repeatable: true,
  }),
};

function invalid(status: number, title: string): InvalidResponseError {
  return new InvalidResponseError({ status, code: 'invalid-response', title, retryable: false });
}

function readResults<T extends object>(raw: unknown, status: number): OperationResult<T>[] {
  if (!Array.isArray(raw)) throw invalid(status, 'Expected `results`, one per operation');
  return raw as OperationResult<T>[];
}

export function toTransactionResult<T extends object = JsonObject>(
  raw: RawResponse,
): TransactionResult<T> {
  const body = raw.body as { results?: unknown } | undefined;
  return {
    results: readResults<T>(body?.results, raw.status),
    replayed: raw.headers.get('idempotent-replayed') === 'true',
  };
}

export function toStagedState<T extends object = JsonObject>(
  raw: RawResponse,
): StagedTransactionState<T> {
  const body = raw.body as Record<string, unknown> | undefined;
  if (typeof body?.id !== 'string' || typeof body.state !== 'string') {
    throw invalid(raw.status, 'Expected a staged transaction with `id` and `state`');
  }
  return {
    id: body.id,
    state: body.state as StagedTransactionState['state'],
    expiresAt: new Date(String(body.expiresAt)),
    operations: (Array.isArray(body.operations) ? body.operations : []) as TransactionOperation[],
    results: body.results === undefined ? undefined : readResults<T>(body.results, raw.status),
  };
}

export interface ManySteps<T extends object> {
  read(): Promise<VersionedDocument<T>[]>;
  write(operations: TransactionOperation[]): Promise<TransactionResult<T>>;
  wait(ms: number): Promise<void>;
}

export interface ManyLoopPolicy extends BackoffPolicy {
  backoff: boolean;
  random: () => number;
}

/**
 * Reads every target, lets `mutate` decide, and writes all of it in one
 * transaction pinned by each target's ETag. When documents changed in
 * between, the refusal carries their current state: `mutate` runs again on
 * it (no extra reads) after a full-jitter backoff.
 */
export async function runUpdateMany<T extends object>(
  targets: ReadonlyArray<{ collection: string; id: string }>,
  steps: ManySteps<T>,
  mutate: (
    current: Stored<T>[],
  ) => Array<T | null | undefined> | Promise<Array<T | null | undefined>>,
  policy: ManyLoopPolicy,
): Promise<TransactionResult<T>> {
  let current = await steps.read();
  for (let retry = 0; ; retry++) {
    const next = await mutate(current.map((c) => c.document));
    if (next.length !== targets.length) {
      throw new TypeError(`mutate returned ${next.length} documents for ${targets.length} targets`);
    }
    const operations = targets.map(({ collection, id }, i): TransactionOperation => {
      const ifMatch = current[i]?.etag ?? '*';
      const document = next[i];
      if (document === undefined) return { op: 'check', collection, id, ifMatch };
      if (document === null) return { op: 'delete', collection, id, ifMatch };
      return { op: 'replace', collection, id, ifMatch, document: withoutSystemFields(document) };
    });
    try {
      return await steps.write(operations);
    } catch (error) {
      if (!(error instanceof TransactionConflictError) || retry + 1 >= policy.maxAttempts)
        throw error;
      if (!error.retryable) {
        // Only documents that moved on are worth another try; any other reason stands.
        const stale = error.failures.every((f) => f.reason === 'version-mismatch' && f.current);
        if (error.failures.length === 0 || !stale) throw error;
        current = current.map(
          (c, i) =>
            (error.failures.find((f) => f.index === i)?.current as VersionedDocument<T>) ?? c,
        );
      }
      if (policy.backoff) await steps.wait(backoffDelay(retry, policy, policy.random));
    }
  }
}

type Call = <R>(
  spec: RequestSpec,
  options: CallOptions,
  read: (raw: RawResponse) => R,
) => Promise<R>;

/**
 * A staged transaction: add operations over as many calls as needed, then
 * commit (every precondition is checked again then) or abort.
 */
export class StagedTransaction {
  readonly #call: Call;

  constructor(
    readonly id: string,
    call: Call,
  ) {
    this.#call = call;
  }

  /** Adds one operation; it is checked now, and its precondition captured. Resolves its index. */
  add(operation: TransactionOperation, options: CallOptions = {}): Promise<number> {
    return this.#call(stagedSpecs.add(this.id, operation), options, (raw) => {
      const index = (raw.body as { index?: unknown } | undefined)?.index;
      if (typeof index !== 'number')
        throw invalid(raw.status, 'Expected the `index` of the operation');
      return index;
    });
  }

  get<T extends object = JsonObject>(
    options: CallOptions = {},
  ): Promise<StagedTransactionState<T>> {
    return this.#call(stagedSpecs.get(this.id), options, toStagedState<T>);
  }

  /** Commits every operation at once; committing again answers the first results. */
  commit<T extends object = JsonObject>(options: CallOptions = {}): Promise<TransactionResult<T>> {
    return this.#call(stagedSpecs.commit(this.id), options, toTransactionResult<T>);
  }

  abort(options: CallOptions = {}): Promise<void> {
    return this.#call(stagedSpecs.abort(this.id), options, () => undefined);
  }
}
