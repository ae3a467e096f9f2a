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
import {
  AttributeType,
  BillingMode,
  Operation,
  StreamViewType,
  Table,
} from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { ConcordConfig } from '../functions/core/config';
import { CORS } from '../functions/http/cors';
import { type FunctionGroup, routes } from '../functions/http/routes';
import { API_KEY_PARTITION_PREFIX, TABLE_KEYS, TABLE_NAME_ENV } from '../functions/store/keys';
import { LAMBDA_BUNDLE } from './bundle-options';

const PROJECT_ROOT = fileURLToPath(new URL('..', import.meta.url));
const LAMBDA_ENTRY = path.join(PROJECT_ROOT, 'functions/http/lambda.ts');
const LOG_RETENTION = RetentionDays.ONE_MONTH;
/** Requests per second (steady and burst) the whole API accepts before API Gateway answers 429. */
const STAGE_THROTTLE = { rateLimit: 500, burstLimit: 1000 };

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
  public: 'Public',
};

export interface ConcordStackProps extends StackProps {
  /** Already validated: the app refuses to synthesize a bad configuration. */
  readonly config: ConcordConfig;
}

export class ConcordStack extends Stack {
  readonly table: Table;
  readonly api: HttpApi;
  readonly functions: ReadonlyMap<FunctionGroup, NodejsFunction>;

  constructor(scope: Construct, id: string, props: ConcordStackProps) {
    super(scope, id, props);

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
        allowOrigins: [...CORS.allowOrigins],
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
          : 'Public by design: the OpenAPI description is readable without an API key.',
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

    this.alarms(stage);

    new CfnOutput(this, 'ApiUrl', { value: stage.url, description: 'Base URL of the API' });
    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'Collections', {
      value: props.config.collections.map((collection) => collection.name).join(','),
      description: 'Collections declared in concord.config.json at deploy time',
    });
  }

  /** One function per group, so each group's role holds only the table access it needs. */
  private groupFunction(group: FunctionGroup): NodejsFunction {
    const id = GROUP_ID[group];
    const logGroup = new LogGroup(this, `${id}FunctionLogs`, { retention: LOG_RETENTION });
    // An own role instead of the AWSLambdaBasicExecutionRole managed policy,
    // which would let the function write to every log group in the account.
    const role = new Role(this, `${id}FunctionRole`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Concord ${group} function`,
    });
    logGroup.grantWrite(role);

    const fn = new NodejsFunction(this, `${id}Function`, {
      entry: LAMBDA_ENTRY,
      handler: 'handler',
      projectRoot: PROJECT_ROOT,
      depsLockFilePath: path.join(PROJECT_ROOT, 'package-lock.json'),
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      memorySize: 1024,
      timeout: Duration.seconds(10),
      role,
      logGroup,
      // No NODE_OPTIONS=--enable-source-maps: reading the source map made every cold start
      // about a fifth slower (bench/cold-start.ts). Stack traces point into the minified
      // bundle; the index.mjs.map shipped beside it maps them back, or the option can be
      // set on a function while debugging it.
      environment: { [TABLE_NAME_ENV]: this.table.tableName },
      bundling: {
        format: OutputFormat.ESM,
        minify: LAMBDA_BUNDLE.minify,
        sourceMap: LAMBDA_BUNDLE.sourceMap,
        target: LAMBDA_BUNDLE.target,
        mainFields: [...LAMBDA_BUNDLE.mainFields],
        banner: LAMBDA_BUNDLE.banner,
        // The pinned SDK the tests ran against, not whatever version the runtime ships.
        bundleAwsSDK: true,
      },
    });

    if (group === 'read') {
      this.table.grantReadData(role);
      // Readers count their requests on their API key record and may write nothing else.
      role.addToPolicy(
        new PolicyStatement({
          actions: ['dynamodb:UpdateItem'],
          resources: [this.table.tableArn],
          conditions: {
            'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${API_KEY_PARTITION_PREFIX}*`] },
          },
        }),
      );
    }
    if (group === 'write') this.table.grantReadWriteData(role);
    // 'public' serves only the API description and gets no table access at all.
    return fn;
  }

  private defaultStage(api: HttpApi): HttpStage {
    const accessLogs = new LogGroup(this, 'ApiAccessLogs', { retention: LOG_RETENTION });
    return api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      // The outer guard: per-key limits live in the functions; this caps the whole API.
      throttle: STAGE_THROTTLE,
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

  /**
   * Alarms without actions: operators attach their own notification targets.
   * A threshold of one, because handlers map every expected failure to a
   * response, so a function error, a 5xx or a DynamoDB system error is a fault.
   */
  private alarms(stage: HttpStage): void {
    const alarm = (id: string, metric: IMetric, description: string): void => {
      new Alarm(this, id, {
        metric,
        threshold: 1,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
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
