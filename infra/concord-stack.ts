import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import {
  CorsHttpMethod,
  HttpApi,
  HttpMethod,
  HttpRoute,
  HttpRouteKey,
  type HttpStage,
  LogGroupLogDestination,
} from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import {
  Alarm,
  ComparisonOperator,
  type IMetric,
  TreatMissingData,
} from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import {
  AttributeType,
  BillingMode,
  Operation,
  StreamViewType,
  Table,
} from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  ApplicationLogLevel,
  Architecture,
  FilterCriteria,
  FilterRule,
  LoggingFormat,
  Runtime,
  StartingPosition,
  SystemLogLevel,
} from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup } from 'aws-cdk-lib/aws-logs';
import { type ITopic, Topic } from 'aws-cdk-lib/aws-sns';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import type { ConcordConfig } from '../functions/core/config';
import { CORS, CORS_ORIGINS_ENV } from '../functions/http/cors';
import { REDOC_BUNDLE } from '../functions/http/docs-assets';
import { type FunctionGroup, routes } from '../functions/http/routes';
import {
  API_KEY_PARTITION_PREFIX,
  CONFLICT_SORT_PREFIX,
  ITEM_SORT_PREFIX,
  subscriptionPartition,
  TABLE_KEYS,
  TABLE_NAME_ENV,
} from '../functions/store/keys';
import { bundleAliases, bundleDefines, GROUP_ENTRIES, LAMBDA_BUNDLE } from './bundle-options';
import { type DeploySettings, deploySettings } from './deploy-settings';
import { addMonitoring, addWebhookAlarms } from './monitoring';
import { READ_GROUP_KEY_ACTIONS, TABLE_ACTIONS, WEBHOOK_FUNCTION_ACTIONS } from './table-access';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const REDOC_SOURCE = createRequire(import.meta.url).resolve(REDOC_BUNDLE.packagePath);
const STREAM_ENTRY = path.join(PROJECT_ROOT, 'functions/http/stream-lambda.ts');

/** The table operations the store issues; an alarm's metric math allows at most 10 metrics. */
const ALARMED_OPERATIONS = [
  Operation.GET_ITEM,
  Operation.BATCH_GET_ITEM,
  Operation.QUERY,
  Operation.PUT_ITEM,
  Operation.UPDATE_ITEM,
  Operation.DELETE_ITEM,
  Operation.TRANSACT_GET_ITEMS,
  Operation.TRANSACT_WRITE_ITEMS,
];

const GROUP_ID: Record<FunctionGroup, string> = {
  read: 'Read',
  write: 'Write',
  coordinate: 'Coordinate',
  public: 'Public',
};

/** The Lambda runtime of every function; the tests run on the same Node.js major. */
export const FUNCTION_RUNTIME = Runtime.NODEJS_24_X;
export interface ConcordStackProps extends StackProps {
  /** Already validated: the app refuses to synthesize a bad configuration. */
  readonly config: ConcordConfig;
}

export class ConcordStack extends Stack {
  readonly table: Table;
  readonly api: HttpApi;
  readonly functions: ReadonlyMap<FunctionGroup, NodejsFunction>;
  /** Where every alarm notifies: the topic of `concord:alarmTopicArn`, or one made here. */
  readonly alarmTopic: ITopic;
  /** Delivers webhooks from the table's stream. */
  readonly webhookFunction: NodejsFunction;
  /** Where the stream's event source puts batches it gave up on. */
  readonly webhookFailures: Queue;
  private readonly settings: DeploySettings;
  private readonly config: ConcordConfig;

  constructor(scope: Construct, id: string, props: ConcordStackProps) {
    super(scope, id, props);
    this.settings = deploySettings(this.node);
    this.config = props.config;

    this.table = new Table(this, 'Table', {
      partitionKey: { name: TABLE_KEYS.partitionKey, type: AttributeType.STRING },
      sortKey: { name: TABLE_KEYS.sortKey, type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      timeToLiveAttribute: TABLE_KEYS.ttlAttribute,
      // Version history, conflicts and webhooks are fed from the change stream.
      stream: StreamViewType.NEW_AND_OLD_IMAGES,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // The table is the only copy of every document: neither a stack deletion
      // nor a stray console click may take it away.
      removalPolicy: RemovalPolicy.RETAIN,
      deletionProtection: true,
    });

    const groups = [...new Set(routes.map((route) => route.group))];
    this.functions = new Map(groups.map((group) => [group, this.groupFunction(group)]));

    this.api = new HttpApi(this, 'Api', {
      apiName: this.stackName,
      description: 'Concord: conflict-safe JSON resources',
      // Browsers must see the validators and rate-limit headers and send preconditions.
      corsPreflight: {
        allowOrigins: [...this.settings.corsOrigins],
        allowMethods: CORS.allowMethods.map((method) => CorsHttpMethod[method]),
        allowHeaders: [...CORS.allowHeaders],
        exposeHeaders: [...CORS.exposeHeaders],
        maxAge: Duration.seconds(CORS.maxAgeSeconds),
      },
      // Made below: the generated default stage cannot carry access logging.
      createDefaultStage: false,
    });
    const stage = this.defaultStage(this.api);

    const integrations = new Map(
      [...this.functions].map(([group, fn]) => [
        group,
        new HttpLambdaIntegration(`${GROUP_ID[group]}Integration`, fn),
      ]),
    );
    for (const route of routes) {
      const integration = integrations.get(route.group);
      if (!integration) throw new Error(`no function for group ${route.group}`);
      const [httpRoute] = this.api.addRoutes({
        path: route.path,
        methods: [HttpMethod[route.method]],
        integration,
      });
      if (!httpRoute) throw new Error(`no route made for ${route.method} ${route.path}`);
      Validations.of(httpRoute).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason: route.auth
          ? 'Every function authenticates the Bearer API key itself: the key check and the rate ' +
            'limit are one conditional DynamoDB write whose result (tenant, rate state) the handler ' +
            'needs, and an authorizer result cache would delay revocation.'
          : 'Public by design: the OpenAPI description and the docs page are readable without an API key.',
      });
    }

    // Unknown paths and methods reach the public function, which answers the
    // same problem+json 404 / 405 as the local server, not API Gateway's own body.
    const fallback = integrations.get('public');
    if (!fallback) throw new Error('no public function for the $default route');
    const defaultRoute = new HttpRoute(this, 'DefaultRoute', {
      httpApi: this.api,
      routeKey: HttpRouteKey.DEFAULT,
      integration: fallback,
    });
    Validations.of(defaultRoute).acknowledge({
      id: 'AwsSolutions-APIG4',
      reason: 'The $default route only answers 404 or 405 problem details; it reads no data.',
    });

    this.alarmTopic = this.settings.alarmTopicArn
      ? Topic.fromTopicArn(this, 'AlarmTopic', this.settings.alarmTopicArn)
      : this.ownAlarmTopic();
    const notify = new SnsAction(this.alarmTopic);
    this.alarms(stage, notify);
    const webhooks = this.webhookDelivery();
    this.webhookFunction = webhooks.fn;
    this.webhookFailures = webhooks.failures;
    addWebhookAlarms(this, { ...webhooks, notify });
    addMonitoring(this, {
      config: props.config,
      stage,
      table: this.table,
      functions: this.functions,
      notify,
      conflictRateThreshold: this.settings.conflictRateThreshold,
    });

    new CfnOutput(this, 'ApiUrl', { value: stage.url, description: 'Base URL of the API' });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'AlarmTopicArn', {
      value: this.alarmTopic.topicArn,
      description: 'Subscribe here to hear of every alarm',
    });
    new CfnOutput(this, 'Collections', {
      value: props.config.collections.map((collection) => collection.name).join(','),
      description: 'Collections declared in concord.config.json at deploy time',
    });
  }

  /** One function per group, so each group's role holds only the table access it needs. */
  private groupFunction(group: FunctionGroup): NodejsFunction {
    const id = GROUP_ID[group];
    const logGroup = new LogGroup(this, `${id}FunctionLogs`, {
      retention: this.settings.logRetention,
    });
    // An own role instead of the AWSLambdaBasicExecutionRole managed policy,
    // which would let the function write to every log group in the account.
    const role = new Role(this, `${id}FunctionRole`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Concord ${group} function`,
    });
    logGroup.grantWrite(role);

    const fn = new NodejsFunction(this, `${id}Function`, {
      entry: path.join(PROJECT_ROOT, GROUP_ENTRIES[group]),
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: 1024,
      timeout: Duration.seconds(10),
      role,
      logGroup,
      // The functions write JSON lines; Lambda's own lines are JSON too, filtered by level.
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      // No NODE_OPTIONS=--enable-source-maps: reading the source map made every cold start
      // about a fifth slower (bench/cold-start.ts). Stack traces point into the minified
      // bundle; the index.mjs.map shipped beside it maps them back, or the option can be
      // set on a function while debugging it.
      environment: {
        [TABLE_NAME_ENV]: this.table.tableName,
        [CORS_ORIGINS_ENV]: this.settings.corsOrigins.join(','),
      },
      bundling: {
        format: OutputFormat.ESM,
        minify: LAMBDA_BUNDLE.minify,
        sourceMap: LAMBDA_BUNDLE.sourceMap,
        target: LAMBDA_BUNDLE.target,
        mainFields: [...LAMBDA_BUNDLE.mainFields],
        banner: LAMBDA_BUNDLE.banner,
        // The configuration checked at synth, baked in: a cold start does not check it again.
        define: bundleDefines(this.config),
        // Without a schema in the configuration, the JSON Schema engine stays out of the bundle.
        esbuildArgs: {
          '--alias': Object.entries(bundleAliases(this.config)).map(
            ([from, to]) => `${from}=${to}`,
          ),
        },
        // The pinned SDK the tests ran against, not whatever version the runtime ships.
        bundleAwsSDK: true,
        // The docs page's script is served by the public function from beside its code.
        ...(group === 'public'
          ? {
              commandHooks: {
                beforeBundling: () => [],
                beforeInstall: () => [],
                afterBundling: (_input: string, output: string) => [
                  `cp "${REDOC_SOURCE}" "${path.join(output, REDOC_BUNDLE.file)}"`,
                ],
              },
            }
          : {}),
      },
    });

    // Exactly the actions the group's routes send (see table-access.ts), on this table only.
    if (TABLE_ACTIONS[group].length > 0) {
      role.addToPolicy(
        new PolicyStatement({
          actions: [...TABLE_ACTIONS[group]],
          resources: [this.table.tableArn],
        }),
      );
    }
    if (group === 'read') {
      // Readers count their requests on their API key record and may write nothing else.
      role.addToPolicy(
        new PolicyStatement({
          actions: [...READ_GROUP_KEY_ACTIONS],
          resources: [this.table.tableArn],
          conditions: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${API_KEY_PARTITION_PREFIX}*`] },
          },
        }),
      );
    }
    // 'public' serves only the API description and gets no table access at all.
    return fn;
  }

  /**
   * The stream function that delivers webhooks. Lambda reads the stream in
   * order, retries a batch from the first record the function reports as
   * failed, splits a failing batch to isolate the record at fault, gives up
   * after a bounded number of retries or once a record is too old, and then
   * puts the batch's description on a queue for an operator to look at.
   */
  private webhookDelivery(): { fn: NodejsFunction; failures: Queue } {
    const logGroup = new LogGroup(this, 'WebhookFunctionLogs', {
      retention: this.settings.logRetention,
    });
    const role = new Role(this, 'WebhookFunctionRole', {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: 'Concord webhook delivery from the table stream',
    });
    logGroup.grantWrite(role);
    const fn = new NodejsFunction(this, 'WebhookFunction', {
      entry: STREAM_ENTRY,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: FUNCTION_RUNTIME,
      architecture: Architecture.ARM_64,
      memorySize: 512,
      // A batch of 10 records, each delivery at most 3 attempts of 5 s plus backoff, 8 at a time.
      timeout: Duration.minutes(2),
      role,
      logGroup,
      loggingFormat: LoggingFormat.JSON,
      applicationLogLevelV2: ApplicationLogLevel.INFO,
      systemLogLevelV2: SystemLogLevel.WARN,
      environment: { [TABLE_NAME_ENV]: this.table.tableName },
      bundling: {
        format: OutputFormat.ESM,
        minify: LAMBDA_BUNDLE.minify,
        sourceMap: LAMBDA_BUNDLE.sourceMap,
        target: LAMBDA_BUNDLE.target,
        mainFields: [...LAMBDA_BUNDLE.mainFields],
        banner: LAMBDA_BUNDLE.banner,
        bundleAwsSDK: true,
      },
    });
    // It reads subscriptions, and nothing else of the table. IAM's `*` also
    // matches `#`, so `T#*#SUB` would admit a Query of a history partition
    // whose document id is `SUB`: a read the code never makes, of no secret.
    role.addToPolicy(
      new PolicyStatement({
        actions: [...WEBHOOK_FUNCTION_ACTIONS],
        resources: [this.table.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [subscriptionPartition('*')] },
        },
      }),
    );
    const failures = new Queue(this, 'WebhookFailures', {
      enforceSSL: true,
      encryption: QueueEncryption.SQS_MANAGED,
      retentionPeriod: Duration.days(14),
    });
    Validations.of(failures).acknowledge({
      id: 'AwsSolutions-SQS3',
      reason:
        'This queue is itself the on-failure destination of the webhook stream; nothing consumes it automatically.',
    });
    fn.addEventSource(
      new DynamoEventSource(this.table, {
        startingPosition: StartingPosition.TRIM_HORIZON,
        batchSize: 10,
        bisectBatchOnError: true,
        retryAttempts: 5,
        maxRecordAge: Duration.hours(6),
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(failures),
        // Only documents and conflicts make events: history entries, guards and keys never wake it.
        filters: [
          FilterCriteria.filter({
            dynamodb: {
              Keys: {
                [TABLE_KEYS.sortKey]: {
                  S: [
                    ...FilterRule.beginsWith(ITEM_SORT_PREFIX),
                    ...FilterRule.beginsWith(CONFLICT_SORT_PREFIX),
                  ],
                },
              },
            },
          }),
        ],
      }),
    );
    Validations.of(role).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'dynamodb:ListStreams, which the DynamoDB event source grants, has no resource-level ' +
        'permissions; the stream reads themselves are granted on this table stream only.',
    });
    return { fn, failures };
  }

  private defaultStage(api: HttpApi): HttpStage {
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', {
      retention: this.settings.logRetention,
    });
    return api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      // The outer guard: per-key limits live in the functions; this caps the whole API.
      throttle: {
        rateLimit: this.settings.stageRateLimit,
        burstLimit: this.settings.stageBurstLimit,
      },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            ip: '$context.identity.sourceIp',
            requestTime: '$context.requestTime',
            routeKey: '$context.routeKey',
            status: '$context.status',
            responseLength: '$context.responseLength',
            latency: '$context.responseLatency',
            integrationLatency: '$context.integrationLatency',
            integrationError: '$context.integrationErrorMessage',
          }),
        ),
      },
    });
  }

  /** A topic for the alarms, reachable only over TLS. */
  private ownAlarmTopic(): Topic {
    const topic = new Topic(this, 'AlarmTopic', {
      displayName: 'Concord alarms',
      enforceSSL: true,
    });
    Validations.of(topic).acknowledge({
      id: 'AwsSolutions-SNS2',
      reason:
        'Alarm notifications carry no data of the API, only alarm names and states; a topic ' +
        'encrypted with the AWS managed SNS key cannot receive CloudWatch alarms, and a ' +
        'customer managed key would add cost to every deployment. Give concord:alarmTopicArn ' +
        'to use an encrypted topic of your own.',
    });
    return topic;
  }

  /**
   * Alarms that notify the alarm topic (subscribe to it, or give your own).
   * A threshold of one, because handlers map every expected failure to a
   * response, so a function error, a 5xx or a DynamoDB system error is a fault.
   */
  private alarms(stage: HttpStage, notify: SnsAction): void {
    const alarm = (id: string, metric: IMetric, description: string): void => {
      const made = new Alarm(this, id, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      made.addAlarmAction(notify);
    };
    for (const [group, fn] of this.functions) {
      const id = GROUP_ID[group];
      alarm(`${id}FunctionErrors`, fn.metricErrors(), `The ${group} function failed`);
      alarm(`${id}FunctionThrottles`, fn.metricThrottles(), `The ${group} function was throttled`);
    }
    alarm('ApiServerErrors', stage.metricServerError(), 'The API answered with a 5xx');
    alarm(
      'TableSystemErrors',
      this.table.metricSystemErrorsForOperations({ operations: ALARMED_OPERATIONS }),
      'DynamoDB returned system errors (HTTP 500)',
    );
    alarm(
      'TableThrottledRequests',
      this.table.metricThrottledRequestsForOperations({ operations: ALARMED_OPERATIONS }),
      'DynamoDB throttled requests',
    );
  }
}
