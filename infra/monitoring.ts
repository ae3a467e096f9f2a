/**
 * The operator's view: a CloudWatch dashboard of the API, the functions'
 * request metrics (from their embedded metric format logs) and the table, and
 * an alarm per collection when too many of its writes conflict.
 */
import { Duration } from 'aws-cdk-lib';
import type { HttpStage } from 'aws-cdk-lib/aws-apigatewayv2';
import {
  Alarm,
  ComparisonOperator,
  Dashboard,
  GraphWidget,
  type IMetric,
  MathExpression,
  Metric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import type { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import type { Table } from 'aws-cdk-lib/aws-dynamodb';
import type { NodejsFunction } from 'aws-cdk-lib/aws-lambda-nodejs';
import type { Queue } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { ConcordConfig } from '../functions/core/config';
import {
  DIMENSION,
  METRIC,
  METRICS_NAMESPACE,
  SERVICE_NAME,
} from '../functions/http/cloudwatch-observer';

const PERIOD = Duration.minutes(5);

const requestMetric = (name: string, statistic = 'Sum', label = name): IMetric =>
  new MathExpression({
    // Every route's series: one line each.
    expression: `SEARCH('{${METRICS_NAMESPACE},${DIMENSION.route},service} MetricName="${name}"', '${statistic}', ${PERIOD.toSeconds()})`,
    label,
    period: PERIOD,
  });

const serviceMetric = (name: string, dimensions: Record<string, string>, statistic = 'Sum') =>
  new Metric({
    namespace: METRICS_NAMESPACE,
    metricName: name,
    dimensionsMap: { service: SERVICE_NAME, ...dimensions },
    statistic,
    period: PERIOD,
  });

export interface MonitoringProps {
  readonly config: ConcordConfig;
  readonly stage: HttpStage;
  readonly table: Table;
  readonly functions: ReadonlyMap<string, NodejsFunction>;
  readonly notify: SnsAction;
  /** Share of a collection's writes that may conflict over 15 minutes before it alarms. */
  readonly conflictRateThreshold: number;
}

/** Alarms per collection on its conflict rate, and the dashboard. */
export const addMonitoring = (scope: Construct, props: MonitoringProps): Dashboard => {
  for (const collection of props.config.collections) {
    const rate = new MathExpression({
      expression: 'IF(writes > 0, conflicts / writes, 0)',
      usingMetrics: {
        conflicts: serviceMetric(METRIC.collectionConflicts, {
          [DIMENSION.collection]: collection.name,
        }),
        writes: serviceMetric(METRIC.collectionWrites, { [DIMENSION.collection]: collection.name }),
      },
      label: `conflict rate of ${collection.name}`,
      period: PERIOD,
    });
    const alarm = new Alarm(scope, `ConflictRate-${collection.name}`, {
      metric: rate,
      threshold: props.conflictRateThreshold,
      evaluationPeriods: 3,
      comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: `More than ${Math.round(props.conflictRateThreshold * 100)}% of the writes to "${collection.name}" conflicted for 15 minutes: clients race on the same documents`,
    });
    alarm.addAlarmAction(props.notify);
  }

  const dashboard = new Dashboard(scope, 'Dashboard', { defaultInterval: Duration.hours(3) });
  const wide = { width: 12, height: 6 } as const;
  dashboard.addWidgets(
    new GraphWidget({
      title: 'API requests and errors',
      left: [props.stage.metricCount({ period: PERIOD })],
      right: [
        props.stage.metricClientError({ period: PERIOD }),
        props.stage.metricServerError({ period: PERIOD }),
      ],
      ...wide,
    }),
    new GraphWidget({
      title: 'API latency (p50, p99)',
      left: [
        props.stage.metricLatency({ period: PERIOD, statistic: 'p50' }),
        props.stage.metricLatency({ period: PERIOD, statistic: 'p99' }),
      ],
      ...wide,
    }),
  );
  dashboard.addWidgets(
    new GraphWidget({
      title: 'Requests by route',
      left: [requestMetric(METRIC.requests)],
      ...wide,
    }),
    new GraphWidget({
      title: 'Handler latency by route (p99)',
      left: [requestMetric(METRIC.latency, 'p99')],
      ...wide,
    }),
  );
  dashboard.addWidgets(
    new GraphWidget({
      title: 'Conflicts by type',
      left: [
        new MathExpression({
          expression: `SEARCH('{${METRICS_NAMESPACE},${DIMENSION.type},service} MetricName="${METRIC.conflicts}"', 'Sum', ${PERIOD.toSeconds()})`,
          label: 'conflicts',
          period: PERIOD,
        }),
      ],
      ...wide,
    }),
    new GraphWidget({
      title: '428, 429, idempotent replays, lease contention',
      left: [
        requestMetric(METRIC.preconditionRequired),
        requestMetric(METRIC.rateLimited),
        requestMetric(METRIC.idempotentReplays),
        requestMetric(METRIC.leaseContention),
      ],
      ...wide,
    }),
  );
  dashboard.addWidgets(
    new GraphWidget({
      title: 'DynamoDB time per request by route (avg)',
      left: [requestMetric(METRIC.dynamoTime, 'Average')],
      right: [requestMetric(METRIC.dynamoThrottles)],
      ...wide,
    }),
    new GraphWidget({
      title: 'Functions: errors, throttles, duration p99',
      left: [...props.functions.values()].flatMap((fn) => [
        fn.metricErrors({ period: PERIOD }),
        fn.metricThrottles({ period: PERIOD }),
      ]),
      right: [...props.functions.values()].map((fn) =>
        fn.metricDuration({ period: PERIOD, statistic: 'p99' }),
      ),
      ...wide,
    }),
  );
  dashboard.addWidgets(
    new GraphWidget({
      title: 'Webhook deliveries by outcome',
      left: [
        new MathExpression({
          expression: `SEARCH('{${METRICS_NAMESPACE},${DIMENSION.outcome},service} MetricName="${METRIC.webhookDeliveries}"', 'Sum', ${PERIOD.toSeconds()})`,
          label: 'deliveries',
          period: PERIOD,
        }),
      ],
      width: 24,
      height: 6,
    }),
  );
  dashboard.addWidgets(
    new GraphWidget({
      title: 'Table: consumed capacity',
      left: [
        props.table.metricConsumedReadCapacityUnits({ period: PERIOD }),
        props.table.metricConsumedWriteCapacityUnits({ period: PERIOD }),
      ],
      width: 24,
      height: 6,
    }),
  );
  return dashboard;
};

/** How far behind the stream webhook delivery may fall before it alarms. */
export const WEBHOOK_ITERATOR_AGE_ALARM = Duration.minutes(15);

/**
 * Alarms of webhook delivery: the function failing, falling behind the
 * stream, or giving up on a batch (a message on the on-failure queue).
 */
export const addWebhookAlarms = (
  scope: Construct,
  props: { fn: NodejsFunction; failures: Queue; notify: SnsAction },
): void => {
  const alarm = (id: string, metric: IMetric, threshold: number, description: string) => {
    new Alarm(scope, id, {
      metric,
      threshold,
      evaluationPeriods: 1,
      comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
      treatMissingData: TreatMissingData.NOT_BREACHING,
      alarmDescription: description,
    }).addAlarmAction(props.notify);
  };
  alarm(
    'WebhookFunctionErrors',
    props.fn.metricErrors({ period: PERIOD }),
    1,
    'The webhook function failed',
  );
  alarm(
    'WebhookIteratorAge',
    props.fn.metric('IteratorAge', { statistic: 'Maximum', period: PERIOD }),
    WEBHOOK_ITERATOR_AGE_ALARM.toMilliseconds(),
    'Webhook delivery is falling behind the table stream',
  );
  alarm(
    'WebhookDeliveriesAbandoned',
    props.failures.metricApproximateNumberOfMessagesVisible({
      period: PERIOD,
      statistic: 'Maximum',
    }),
    1,
    'Webhook delivery gave up on stream records: see the on-failure queue',
  );
};
