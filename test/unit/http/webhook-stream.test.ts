import { marshall } from '@aws-sdk/util-dynamodb';
import { describe, expect, it } from 'vitest';
import type { AttemptOutcome } from '../../../functions/core/webhook-delivery';
import {
  batchItemFailures,
  createStreamProcessor,
  deliveryCounts,
} from '../../../functions/http/webhook-stream';
import type { StreamRecord } from '../../../functions/store/stream-events';

const created = (id: string): StreamRecord => ({
  eventName: 'INSERT',
  dynamodb: {
    NewImage: marshall({
      pk: 'T#acme#C#items',
      sk: `I#${id}`,
      id,
      version: 1,
      state: 'live',
      body: '{}',
    }),
  },
});
const history: StreamRecord = {
  eventName: 'INSERT',
  dynamodb: { NewImage: marshall({ pk: 'T#acme#C#items#H#a', sk: 'V#000000000000001' }) },
};

const processor = (outcomes: Record<string, AttemptOutcome>) =>
  createStreamProcessor({
    subscriptions: {
      listSubscriptions: async () => [
        {
          id: 's',
          url: 'https://hooks.example.com/',
          events: ['document.created'],
          createdAt: '',
          secret: 'x',
        },
      ],
    },
    transport: async (request) =>
      outcomes[(JSON.parse(request.body) as { data: { id: string } }).data.id] ?? {
        kind: 'delivered',
        status: 200,
      },
    retry: { attempts: 2, baseDelayMs: 0, maxDelayMs: 0 },
    sleep: async () => undefined,
  });

describe('stream batches to deliveries', () => {
  it('lists deliveries per record and names the first record that ran out of attempts', async () => {
    const failed: AttemptOutcome = {
      kind: 'failed',
      reason: 'the receiver answered 503',
      status: 503,
    };
    const rejected: AttemptOutcome = {
      kind: 'rejected',
      reason: 'the receiver answered 400',
      status: 400,
    };
    const result = await processor({ b: rejected, c: failed, d: failed }).process([
      created('a'),
      history,
      created('b'),
      created('c'),
      created('d'),
    ]);
    expect(result.deliveries.map((d) => d.map((x) => x.outcome.kind))).toEqual([
      ['delivered'],
      [],
      ['rejected'],
      ['failed'],
      ['failed'],
    ]);
    // A 4xx is final, so the batch is retried from the first failure only.
    expect(result.firstFailed).toBe(3);
    expect(batchItemFailures(['1', '2', '3', '4', '5'], result)).toEqual({
      batchItemFailures: [{ itemIdentifier: '4' }],
    });
    expect(deliveryCounts(result.deliveries.flat())).toEqual({
      delivered: 1,
      rejected: 1,
      refused: 0,
      failed: 2,
    });
  });

  it('reports no failure when every delivery went through or was final', async () => {
    const result = await processor({}).process([created('a'), history]);
    expect(result.firstFailed).toBeUndefined();
    expect(batchItemFailures(['1', '2'], result)).toEqual({ batchItemFailures: [] });
  });
});
