/**
 * DynamoDB faults injected under the store, inside the SDK: a middleware at
 * the end of the `deserialize` step stands where the HTTP connection is, so
 * the SDK's own retries, error parsing and the store's error mapping all run
 * as they would against a failing DynamoDB.
 *
 * Which fault hits which request is decided per HTTP API request: the test
 * puts a plan in a request header, the handler wrapper moves it into an
 * AsyncLocalStorage scope, and the middleware finds it there. Requests
 * without a plan pass through untouched.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { HttpHandler } from '../../../functions/http/app';

export const FAULT_KINDS = [
  'throttling',
  'provisioned-throughput-exceeded',
  'internal-server-error',
  'timeout',
  'aborted',
  'connection-reset',
  'transaction-conflict',
] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

/** Faults that can strike after DynamoDB has carried out the request: the answer is lost. */
export const LOST_ANSWER_KINDS: readonly FaultKind[] = [
  'internal-server-error',
  'timeout',
  'aborted',
  'connection-reset',
];

export interface FaultPlan {
  /** Which DynamoDB call of the API request to strike, counted from 0 in the order sent. */
  readonly call: number;
  /** Instead of `call`: strike the first call of this command, e.g. `UpdateItemCommand`. */
  readonly command?: string;
  readonly kind: FaultKind;
  /** `before`: DynamoDB never sees the request. `after`: it carries it out, the answer is lost. */
  readonly when: 'before' | 'after';
  /** Consecutive SDK attempts of that call that fail; fewer than maxAttempts are retried away. */
  readonly attempts: number;
}

/** What was injected into one DynamoDB call. */
export interface InjectedFault {
  readonly kind: FaultKind;
  readonly when: 'before' | 'after';
  readonly command: string;
  readonly attempt: number;
}

interface Scope {
  readonly plan: FaultPlan;
  readonly injected: InjectedFault[];
  calls: number;
  /** The call the plan strikes, once known. */
  struck?: number;
}

/** The request header that carries a plan from the test to the handler wrapper. */
export const FAULT_HEADER = 'x-test-fault-plan';

const scopes = new AsyncLocalStorage<Scope>();

/** Faults injected per API request id, for the test to read after the answer. */
const injectedByRequest = new Map<string, InjectedFault[]>();

/** The faults injected while serving the request that carried `planId` (then forgotten). */
export const takeInjected = (planId: string): InjectedFault[] => {
  const injected = injectedByRequest.get(planId) ?? [];
  injectedByRequest.delete(planId);
  return injected;
};

/** Encodes a plan for {@link FAULT_HEADER}, under an id to look the injected faults up by. */
export const faultHeader = (planId: string, plan: FaultPlan): Record<string, string> => ({
  [FAULT_HEADER]: JSON.stringify({ planId, plan }),
});

/** Wraps the HTTP handler so each request's plan is in scope while it is served. */
export const withFaultPlans =
  (handler: HttpHandler): HttpHandler =>
  (event, context) => {
    const raw = event.headers?.[FAULT_HEADER];
    if (!raw) return handler(event, context);
    const { planId, plan } = JSON.parse(raw) as { planId: string; plan: FaultPlan };
    const { [FAULT_HEADER]: _plan, ...headers } = event.headers;
    const scope: Scope = { plan, injected: [], calls: 0 };
    injectedByRequest.set(planId, scope.injected);
    return scopes.run(scope, () => handler({ ...event, headers }, context));
  };

const encoder = new TextEncoder();

/** A DynamoDB error answer as the service sends it (JSON 1.0 protocol). */
const errorAnswer = (status: number, type: string, extra: Record<string, unknown> = {}) => ({
  response: {
    statusCode: status,
    reason: status === 400 ? 'Bad Request' : 'Internal Server Error',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amzn-requestid': `FAULT${Math.random().toString(36).slice(2, 12).toUpperCase()}`,
    },
    body: encoder.encode(
      JSON.stringify({
        __type: `com.amazonaws.dynamodb.v20120810#${type}`,
        message: `injected ${type}`,
        ...extra,
      }),
    ),
  },
});

/** An error as the SDK's Node HTTP handler raises it for a broken connection. */
const connectionError = (kind: FaultKind): Error => {
  if (kind === 'timeout') {
    return Object.assign(new Error('injected: the request timed out'), {
      name: 'TimeoutError',
      code: 'ETIMEDOUT',
    });
  }
  if (kind === 'aborted') {
    return Object.assign(new Error('Request aborted'), { name: 'AbortError' });
  }
  return Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
};

const answerFor = (kind: FaultKind) => {
  switch (kind) {
    case 'throttling':
      return errorAnswer(400, 'ThrottlingException');
    case 'provisioned-throughput-exceeded':
      return errorAnswer(400, 'ProvisionedThroughputExceededException');
    case 'internal-server-error':
      return errorAnswer(500, 'InternalServerError');
    case 'transaction-conflict': {
      // One of the two items (the document, the idempotency record) is in another transaction.
      const first = Math.random() < 0.5;
      const reasons = [
        first
          ? { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' }
          : { Code: 'None' },
        first
          ? { Code: 'None' }
          : { Code: 'TransactionConflict', Message: 'Transaction is ongoing for the item' },
      ];
      return errorAnswer(400, 'TransactionCanceledException', {
        Message: `Transaction cancelled, please refer cancellation reasons for specific reasons [${reasons.map((r) => r.Code).join(', ')}]`,
        CancellationReasons: reasons,
      });
    }
    default:
      throw connectionError(kind);
  }
};

/** Which commands a fault kind can hit: transaction conflicts only exist for transactions. */
const strikes = (kind: FaultKind, command: string): boolean =>
  kind === 'transaction-conflict' ? command === 'TransactWriteItemsCommand' : true;

/**
 * Adds fault injection to a DocumentClient. Returns the number of SDK
 * attempts each call made, counted over all requests, for reports.
 */
export const injectFaults = (client: DynamoDBDocumentClient): { attempts: () => number } => {
  const attemptsOf = new WeakMap<object, { call: number; attempts: number }>();
  let total = 0;
  client.middlewareStack.add(
    (next, context) => async (args) => {
      total++;
      const scope = scopes.getStore();
      if (!scope) return next(args);
      let seen = attemptsOf.get(context);
      if (!seen) {
        seen = { call: scope.calls++, attempts: 0 };
        attemptsOf.set(context, seen);
      }
      const attempt = ++seen.attempts;
      const { plan } = scope;
      const command = String(context.commandName ?? '');
      if (scope.struck === undefined && strikes(plan.kind, command)) {
        const target = plan.command ? command === plan.command : seen.call === plan.call;
        if (target) scope.struck = seen.call;
      }
      if (scope.struck !== seen.call || attempt > plan.attempts) return next(args);
      const when = attempt === 1 ? plan.when : 'before';
      scope.injected.push({ kind: plan.kind, when, command, attempt });
      if (when === 'after') {
        const { response } = (await next(args)) as {
          response: { body?: { destroy?: () => void } };
        };
        // The answer is dropped with its connection, as a reset would; left unread it would
        // keep the socket from the SDK's pool forever.
        response.body?.destroy?.();
        // DynamoDB's own 500 says the request may have succeeded; the others lose the answer.
        if (plan.kind !== 'internal-server-error') throw connectionError(plan.kind);
      }
      // biome-ignore lint/suspicious/noExplicitAny: a raw HTTP answer for the deserializer
      return answerFor(plan.kind) as any;
    },
    { step: 'deserialize', priority: 'low', name: 'injectDynamoFaults' },
  );
  return { attempts: () => total };
};
