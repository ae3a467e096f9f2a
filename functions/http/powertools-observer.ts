/**
 * Request records as Powertools structured logs (one JSON line per request)
 * and CloudWatch metrics in the embedded metric format, for the functions on
 * AWS. The log level comes from the environment (`POWERTOOLS_LOG_LEVEL`, or
 * the function's application log level).
 */
import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { RequestObserver, RequestRecord } from './observability';

export const METRICS_NAMESPACE = 'Concord';
export const SERVICE_NAME = 'concord';

/** Metric names, shared with the dashboard and alarms of the stack. */
export const METRIC = {
  requests: 'Requests',
  latency: 'Latency',
  dynamoCalls: 'DynamoDBCalls',
  dynamoTime: 'DynamoDBTime',
  dynamoThrottles: 'DynamoDBThrottles',
  conflicts: 'Conflicts',
  preconditionRequired: 'PreconditionRequired',
  rateLimited: 'RateLimited',
  idempotentReplays: 'IdempotentReplays',
  leaseContention: 'LeaseContention',
  serverErrors: 'ServerErrors',
  collectionWrites: 'CollectionWrites',
  collectionConflicts: 'CollectionConflicts',
  /** Webhook deliveries by how they ended (dimension `Outcome`). */
  webhookDeliveries: 'WebhookDeliveries',
  conflictRecordFailures: 'ConflictRecordFailures',
} as const;

/** Metric dimensions, shared with the stack. */
export const DIMENSION = {
  route: 'Route',
  type: 'ConflictType',
  collection: 'Collection',
  outcome: 'Outcome',
} as const;

const READS = new Set(['GET', 'HEAD']);

const flags = (record: RequestRecord): Array<[string, boolean]> => [
  [METRIC.preconditionRequired, record.status === 428],
  [METRIC.rateLimited, record.status === 429],
  [METRIC.idempotentReplays, record.replayed],
  [METRIC.leaseContention, record.conflict?.type === 'lock-held'],
  [METRIC.serverErrors, record.status >= 500],
  [METRIC.conflictRecordFailures, record.conflict?.recordFailed !== undefined],
];

const newMetrics = () => new Metrics({ namespace: METRICS_NAMESPACE, serviceName: SERVICE_NAME });

export const createPowertoolsObserver = (
  logger = new Logger({ serviceName: SERVICE_NAME }),
): RequestObserver => {
  // One instance per dimension set: each publishes its metrics as one EMF line.
  const metrics = newMetrics();
  const byType = newMetrics();
  const byCollection = newMetrics();
  return (record) => {
    if (record.status >= 500) logger.error('request', { ...record });
    else logger.info('request', { ...record });

    metrics.addDimension(DIMENSION.route, record.route);
    metrics.addMetric(METRIC.requests, MetricUnit.Count, 1);
    metrics.addMetric(METRIC.latency, MetricUnit.Milliseconds, record.latencyMs);
    metrics.addMetric(METRIC.dynamoCalls, MetricUnit.Count, record.dynamodb.calls);
    metrics.addMetric(METRIC.dynamoTime, MetricUnit.Milliseconds, record.dynamodb.ms);
    if (record.dynamodb.throttles > 0) {
      metrics.addMetric(METRIC.dynamoThrottles, MetricUnit.Count, record.dynamodb.throttles);
    }
    for (const [name, set] of flags(record)) if (set) metrics.addMetric(name, MetricUnit.Count, 1);
    metrics.publishStoredMetrics();

    if (record.conflict) {
      byType.addDimension(DIMENSION.type, record.conflict.type);
      byType.addMetric(METRIC.conflicts, MetricUnit.Count, 1);
      byType.publishStoredMetrics();
    }
    // Per collection, writes and their conflicts: what the conflict-rate alarm divides.
    const method = record.method.toUpperCase();
    if (record.collection && !READS.has(method)) {
      byCollection.addDimension(DIMENSION.collection, record.collection);
      byCollection.addMetric(METRIC.collectionWrites, MetricUnit.Count, 1);
      byCollection.addMetric(METRIC.collectionConflicts, MetricUnit.Count, record.conflict ? 1 : 0);
      byCollection.publishStoredMetrics();
    }
  };
};
