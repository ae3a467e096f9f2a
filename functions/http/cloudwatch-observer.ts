/**
 * Request records as structured logs (one JSON line per request) and
 * CloudWatch metrics in the embedded metric format, for the functions on
 * AWS. The log level comes from the environment (`LOG_LEVEL`, or the
 * function's application log level).
 */
import type { RequestObserver, RequestRecord } from './observability';
import {
  createJsonLogger,
  createMetricsWriter,
  type JsonLogger,
  type LineWriter,
  type Metric,
  stdoutLine,
} from './telemetry';

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

const count = (name: string, value = 1): Metric => ({ name, unit: 'Count', value });
const ms = (name: string, value: number): Metric => ({ name, unit: 'Milliseconds', value });

/** Writes each request's log line and its metrics, one EMF line per dimension set. */
export const createCloudWatchObserver = (
  write: LineWriter = stdoutLine,
  logger: JsonLogger = createJsonLogger({ service: SERVICE_NAME, write }),
): RequestObserver => {
  const metrics = createMetricsWriter({
    namespace: METRICS_NAMESPACE,
    service: SERVICE_NAME,
    write,
  });
  return (record) => {
    if (record.status >= 500) logger.error('request', { ...record });
    else logger.info('request', { ...record });

    const byRoute = [
      count(METRIC.requests),
      ms(METRIC.latency, record.latencyMs),
      count(METRIC.dynamoCalls, record.dynamodb.calls),
      ms(METRIC.dynamoTime, record.dynamodb.ms),
    ];
    if (record.dynamodb.throttles > 0) {
      byRoute.push(count(METRIC.dynamoThrottles, record.dynamodb.throttles));
    }
    for (const [name, set] of flags(record)) if (set) byRoute.push(count(name));
    metrics.publish({ [DIMENSION.route]: record.route }, byRoute);

    if (record.conflict) {
      metrics.publish({ [DIMENSION.type]: record.conflict.type }, [count(METRIC.conflicts)]);
    }
    // Per collection, writes and their conflicts: what the conflict-rate alarm divides.
    if (record.collection && !READS.has(record.method.toUpperCase())) {
      metrics.publish({ [DIMENSION.collection]: record.collection }, [
        count(METRIC.collectionWrites),
        count(METRIC.collectionConflicts, record.conflict ? 1 : 0),
      ]);
    }
  };
};
