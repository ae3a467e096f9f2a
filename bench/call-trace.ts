/**
 * Which DynamoDB calls each request made, and when: SDK middleware records
 * every call into the async context of the request that made it, so
 * concurrent requests on one client are told apart. Nothing is estimated.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { API_KEY_PARTITION_PREFIX, TABLE_KEYS } from '../functions/store/keys';

export interface TracedCall {
  readonly command: string;
  /** A write to an API key record: admission (authentication + rate limit). */
  readonly admission: boolean;
  readonly start: number;
  end: number;
}

/**
 * The longest chain of calls that followed one another (each started after
 * the previous ended): the round trips a request waited for, one after another.
 */
export const sequentialDepth = (calls: readonly TracedCall[]): number => {
  const sorted = [...calls].sort((a, b) => a.start - b.start);
  const depth: number[] = [];
  for (const [i, call] of sorted.entries()) {
    let before = 0;
    for (let j = 0; j < i; j++) {
      if ((sorted[j]?.end ?? Infinity) <= call.start) before = Math.max(before, depth[j] ?? 0);
    }
    depth.push(before + 1);
  }
  return Math.max(0, ...depth);
};

export const traceCalls = (client: DynamoDBDocumentClient) => {
  const context = new AsyncLocalStorage<TracedCall[]>();
  /** Calls made outside any traced request, e.g. a claim that outlived its request. */
  const untraced: TracedCall[] = [];
  client.middlewareStack.add(
    (next, info) => async (args) => {
      const key = (args.input as { Key?: Record<string, unknown> }).Key;
      const partition = String(key?.[TABLE_KEYS.partitionKey] ?? '');
      const call: TracedCall = {
        command: String(info.commandName),
        admission: partition.startsWith(API_KEY_PARTITION_PREFIX),
        start: performance.now(),
        end: Number.POSITIVE_INFINITY,
      };
      (context.getStore() ?? untraced).push(call);
      try {
        return await next(args);
      } finally {
        call.end = performance.now();
      }
    },
    { step: 'initialize', name: 'traceCalls' },
  );
  return {
    untraced,
    /** Runs `work` as one request; returns its result and the calls it made. */
    async run<T>(work: () => Promise<T>): Promise<{ result: T; calls: TracedCall[] }> {
      const calls: TracedCall[] = [];
      const result = await context.run(calls, work);
      return { result, calls };
    },
  };
};
