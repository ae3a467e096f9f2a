/**
 * The table's stream to webhook deliveries: the one piece both the AWS
 * stream function and `npm start`'s stream reader run. Records become events
 * (store/stream-events.ts), events are delivered (core/webhook-delivery.ts),
 * and the answer says which record failed first, so the caller can hand that
 * record and everything after it back for another try.
 */
import type { SubscriptionStore } from '../core/subscriptions';
import {
  type AttemptOutcome,
  createWebhookDispatcher,
  type Delivery,
  type DispatchOptions,
} from '../core/webhook-delivery';
import type { TenantEvent } from '../core/webhook-events';
import { eventOfRecord, type StreamRecord } from '../store/stream-events';

export interface StreamBatchResult {
  /** Per record: its deliveries (none when it announces nothing or nobody subscribed). */
  readonly deliveries: readonly (readonly Delivery[])[];
  /** The first record with a delivery that ran out of attempts; undefined when none did. */
  readonly firstFailed: number | undefined;
}

export interface StreamProcessor {
  process(records: readonly StreamRecord[]): Promise<StreamBatchResult>;
}

export const createStreamProcessor = (
  options: Omit<DispatchOptions, 'subscriptions'> & {
    subscriptions: Pick<SubscriptionStore, 'listSubscriptions'>;
  },
): StreamProcessor => {
  const dispatcher = createWebhookDispatcher(options);
  return {
    async process(records) {
      const events = records.map(eventOfRecord);
      const announced = events
        .map((event, index) => ({ event, index }))
        .filter(
          (entry): entry is { event: TenantEvent; index: number } => entry.event !== undefined,
        );
      const report = await dispatcher.dispatch(announced.map((entry) => entry.event));
      const deliveries: Delivery[][] = records.map(() => []);
      announced.forEach(({ index }, i) => {
        deliveries[index] = report[i] ?? [];
      });
      const failed = deliveries.findIndex((list) =>
        list.some((delivery) => delivery.outcome.kind === 'failed'),
      );
      return { deliveries, firstFailed: failed < 0 ? undefined : failed };
    },
  };
};

/**
 * Lambda's partial batch answer: the first record that failed, so the event
 * source retries from it (records before it were delivered); none when all
 * went through.
 */
export const batchItemFailures = (
  sequenceNumbers: readonly (string | undefined)[],
  { firstFailed }: Pick<StreamBatchResult, 'firstFailed'>,
): { batchItemFailures: { itemIdentifier: string }[] } =>
  firstFailed === undefined
    ? { batchItemFailures: [] }
    : { batchItemFailures: [{ itemIdentifier: sequenceNumbers[firstFailed] ?? '' }] };

/** How many deliveries ended each way, for the delivery metric. */
export const deliveryCounts = (
  deliveries: readonly Delivery[],
): Record<AttemptOutcome['kind'], number> => {
  const counts = { delivered: 0, rejected: 0, refused: 0, failed: 0 };
  for (const delivery of deliveries) counts[delivery.outcome.kind] += 1;
  return counts;
};
