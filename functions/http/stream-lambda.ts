/**
 * The stream function: delivers webhooks for the table's changes. Lambda's
 * event source retries a batch from the first record this function reports
 * as failed (ReportBatchItemFailures), splits failing batches, and after its
 * bounded retries hands the batch's description to the on-failure queue.
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { createDocumentClient } from '../store/client';
import { createDynamoSubscriptionStore } from '../store/dynamo-subscription-store';
import { TABLE_NAME_ENV } from '../store/keys';
import type { StreamRecord } from '../store/stream-events';
import { DIMENSION, METRIC, METRICS_NAMESPACE, SERVICE_NAME } from './cloudwatch-observer';
import { createJsonLogger, createMetricsWriter } from './telemetry';
import { batchItemFailures, createStreamProcessor, deliveryCounts } from './webhook-stream';
import { createWebhookTransport } from './webhook-transport';

const tableName = process.env[TABLE_NAME_ENV];
if (!tableName) throw new Error(`${TABLE_NAME_ENV} is not set`);

const logger = createJsonLogger({ service: SERVICE_NAME });
const metrics = createMetricsWriter({ namespace: METRICS_NAMESPACE, service: SERVICE_NAME });
const processor = createStreamProcessor({
  subscriptions: createDynamoSubscriptionStore({ client: createDocumentClient(), tableName }),
  // On AWS only public https addresses are called.
  transport: createWebhookTransport({ policy: { localMode: false } }),
});

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const result = await processor.process(event.Records as unknown as StreamRecord[]);
  for (const delivery of result.deliveries.flat()) {
    if (delivery.outcome.kind === 'delivered') continue;
    logger.warn('webhook not delivered', { ...delivery });
  }
  for (const [outcome, count] of Object.entries(deliveryCounts(result.deliveries.flat()))) {
    if (count === 0) continue;
    // One EMF line per outcome: each needs its own dimension value.
    metrics.publish({ [DIMENSION.outcome]: outcome }, [
      { name: METRIC.webhookDeliveries, unit: 'Count', value: count },
    ]);
  }
  return batchItemFailures(
    event.Records.map((record) => record.dynamodb?.SequenceNumber),
    result,
  );
};
