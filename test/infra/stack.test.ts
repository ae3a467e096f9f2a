import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { ConfigError } from '../../functions/core/config';
import { CORS } from '../../functions/http/cors';
import { type FunctionGroup, routeKey, routes } from '../../functions/http/routes';
import { API_KEY_PARTITION_PREFIX, TABLE_KEYS, TABLE_NAME_ENV } from '../../functions/store/keys';
import { buildApp } from '../../infra/build-app';
import type { ConcordStack } from '../../infra/concord-stack';
import { WEBHOOK_ITERATOR_AGE_ALARM } from '../../infra/monitoring';
import { TABLE_ACTIONS, WEBHOOK_FUNCTION_ACTIONS } from '../../infra/table-access';

// Bundling needs the runtime code and takes seconds; the template does not need it.
const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };

const WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
];

type Resource = { Properties: Record<string, unknown> } & Record<string, unknown>;
type Statement = { Action: string | string[]; Condition?: unknown };

let built: { stack: ConcordStack; template: Template };

beforeAll(() => {
  const { stack } = buildApp({ context: SKIP_BUNDLING });
  // Synthesizes with the AwsSolutions plugin registered, as `cdk synth` does:
  // an unacknowledged finding throws here.
  built = { stack, template: Template.fromStack(stack) };
}, 60_000);

const logicalIdOf = (group: FunctionGroup): string => {
  const fn = built.stack.functions.get(group);
  if (!fn) throw new Error(`no ${group} function`);
  return built.stack.getLogicalId(fn.node.defaultChild as never);
};

/** Every statement of the policies on a group's function role. */
const statementsOf = (group: FunctionGroup): Statement[] => {
  const fnId = built.stack.resolve(logicalIdOf(group)) as string;
  const fn = built.template.findResources('AWS::Lambda::Function')[fnId] as Resource;
  const roleRef = (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  const policies = built.template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: roleRef }] },
  });
  return Object.values(policies).flatMap((policy) => {
    const document = (policy as Resource).Properties.PolicyDocument as { Statement: Statement[] };
    return document.Statement;
  });
};

/** Actions granted without a condition. */
const actionsOf = (group: FunctionGroup): string[] =>
  statementsOf(group)
    .filter((statement) => statement.Condition === undefined)
    .flatMap((statement) => [statement.Action].flat());

describe('ConcordStack routes', () => {
  it('makes one API route per route-table entry, plus $default for problem+json 404 and 405', () => {
    const made = Object.values(built.template.findResources('AWS::ApiGatewayV2::Route')).map(
      (route) => (route as Resource).Properties.RouteKey,
    );
    expect([...made].sort()).toEqual([...routes.map(routeKey), '$default'].sort());
  });

  it('sends each route to the function of its group', () => {
    for (const route of routes) {
      const fnId = built.stack.resolve(logicalIdOf(route.group)) as string;
      const integrations = built.template.findResources('AWS::ApiGatewayV2::Integration', {
        Properties: { IntegrationUri: { 'Fn::GetAtt': [fnId, 'Arn'] } },
      });
      const [integrationId] = Object.keys(integrations);
      built.template.hasResourceProperties('AWS::ApiGatewayV2::Route', {
        RouteKey: routeKey(route),
        Target: { 'Fn::Join': ['', ['integrations/', { Ref: integrationId }]] },
      });
    }
  });

  it('answers CORS preflight exposing ETag and allowing If-Match', () => {
    built.template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: {
        AllowOrigins: [...CORS.allowOrigins],
        AllowHeaders: Match.arrayWith(['If-Match', 'If-None-Match', 'Idempotency-Key']),
        ExposeHeaders: Match.arrayWith(['ETag', 'Location', 'Retry-After']),
        MaxAge: CORS.maxAgeSeconds,
      },
    });
  });

  it('writes stage access logs to a log group', () => {
    built.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      StageName: '$default',
      AccessLogSettings: {
        DestinationArn: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] },
        Format: Match.stringLikeRegexp('\\$context\\.requestId'),
      },
    });
  });
});

describe('ConcordStack table', () => {
  it('uses the shared key layout, on-demand billing, TTL and a change stream', () => {
    built.template.resourceCountIs('AWS::DynamoDB::Table', 1);
    built.template.hasResourceProperties('AWS::DynamoDB::Table', {
      KeySchema: [
        { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
        { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: Match.arrayWith([
        { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
        { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
      ]),
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: TABLE_KEYS.ttlAttribute, Enabled: true },
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('keeps the table when the stack is deleted', () => {
    built.template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({ DeletionProtectionEnabled: true }),
    });
  });
});

describe('ConcordStack functions', () => {
  it('makes one function per route group, and one that delivers webhooks', () => {
    const groups = new Set(routes.map((route) => route.group));
    built.template.resourceCountIs('AWS::Lambda::Function', groups.size + 1);
  });

  it('runs every route function on nodejs24.x, arm64, with the table name', () => {
    const webhookId = built.stack.getLogicalId(
      built.stack.webhookFunction.node.defaultChild as never,
    );
    const functions = Object.entries(built.template.findResources('AWS::Lambda::Function'))
      .filter(([id]) => id !== webhookId)
      .map(([, fn]) => fn);
    expect(functions.length).toBe(built.stack.functions.size);
    for (const fn of functions as Resource[]) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        MemorySize: 1024,
        Timeout: 10,
        Environment: { Variables: { [TABLE_NAME_ENV]: { Ref: expect.any(String) } } },
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
      });
    }
  });

  it('starts functions without reading source maps', () => {
    const functions = Object.values(built.template.findResources('AWS::Lambda::Function'));
    for (const fn of functions as Resource[]) {
      const variables = (fn.Properties.Environment as { Variables: Record<string, unknown> })
        .Variables;
      expect(String(variables.NODE_OPTIONS ?? '')).not.toContain('--enable-source-maps');
    }
  });

  it('sets a retention on every log group', () => {
    const logGroups = Object.values(built.template.findResources('AWS::Logs::LogGroup'));
    // One per function (the webhook function's too) and one for API access logs.
    expect(logGroups).toHaveLength(built.stack.functions.size + 2);
    for (const logGroup of logGroups as Resource[]) {
      expect(logGroup.Properties.RetentionInDays).toBe(30);
    }
  });

  it('gives the read function no unconditional write action on the table', () => {
    const actions = actionsOf('read');
    expect(actions).toContain('dynamodb:GetItem');
    expect(actions).toContain('dynamodb:Query');
    expect(actions.filter((action) => WRITE_ACTIONS.includes(action))).toEqual([]);
  });

  it('lets the read function update only API key records, to count requests', () => {
    const conditional = statementsOf('read').filter(
      (statement) => statement.Condition !== undefined,
    );
    expect(conditional).toEqual([
      expect.objectContaining({
        Action: 'dynamodb:UpdateItem',
        Condition: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${API_KEY_PARTITION_PREFIX}*`] },
        },
      }),
    ]);
  });

  it.each(['read', 'write', 'public'] as const)(
    'grants the %s function exactly the DynamoDB actions its routes send, and no Scan or batch write',
    (group) => {
      const dynamo = actionsOf(group).filter((action) => action.startsWith('dynamodb:'));
      expect([...dynamo].sort()).toEqual([...TABLE_ACTIONS[group]].sort());
      for (const broad of ['dynamodb:Scan', 'dynamodb:BatchWriteItem', 'dynamodb:BatchGetItem']) {
        expect(dynamo).not.toContain(broad);
      }
    },
  );

  it('gives the public function no DynamoDB action at all', () => {
    expect(actionsOf('public').filter((action) => action.startsWith('dynamodb:'))).toEqual([]);
  });

  it('attaches no managed policy, so no role can write to other log groups', () => {
    const roles = Object.values(built.template.findResources('AWS::IAM::Role')) as Resource[];
    for (const role of roles) expect(role.Properties.ManagedPolicyArns).toBeUndefined();
  });
});

describe('ConcordStack webhook delivery', () => {
  const webhookRole = (): string => {
    const id = built.stack.getLogicalId(built.stack.webhookFunction.node.defaultChild as never);
    const fn = built.template.findResources('AWS::Lambda::Function')[id] as Resource;
    return (fn.Properties.Role as { 'Fn::GetAtt': [string, string] })['Fn::GetAtt'][0];
  };

  it('reads the table stream with batch bisection, bounded retries and age, and an on-failure queue', () => {
    built.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: { 'Fn::GetAtt': [Match.anyValue(), 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 10,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 6 * 3600,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: {
        OnFailure: { Destination: { 'Fn::GetAtt': [Match.anyValue(), 'Arn'] } },
      },
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              dynamodb: {
                Keys: { [TABLE_KEYS.sortKey]: { S: [{ prefix: 'I#' }, { prefix: 'CF#' }] } },
              },
            }),
          },
        ],
      },
    });
    built.template.hasResourceProperties('AWS::SQS::Queue', {
      SqsManagedSseEnabled: true,
      MessageRetentionPeriod: 14 * 24 * 3600,
    });
  });

  it('lets the webhook function query only subscription partitions of the table', () => {
    const policies = built.template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: webhookRole() }] },
    });
    const statements = Object.values(policies).flatMap(
      (policy) =>
        ((policy as Resource).Properties.PolicyDocument as { Statement: Statement[] }).Statement,
    );
    const dynamo = statements.filter((s) =>
      [s.Action].flat().some((a) => a.startsWith('dynamodb:')),
    );
    const tableActions = dynamo.filter((s) => s.Condition !== undefined);
    expect(tableActions).toEqual([
      expect.objectContaining({
        Action: WEBHOOK_FUNCTION_ACTIONS[0],
        Condition: { 'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['T#*#SUB'] } },
      }),
    ]);
    // Besides that, only the stream: no item reads or writes.
    const unconditioned = dynamo
      .filter((s) => s.Condition === undefined)
      .flatMap((s) => [s.Action].flat());
    expect(unconditioned.sort()).toEqual(
      [
        'dynamodb:DescribeStream',
        'dynamodb:GetRecords',
        'dynamodb:GetShardIterator',
        'dynamodb:ListStreams',
      ].sort(),
    );
  });

  it('alarms when delivery fails, falls behind the stream, or gives up on records', () => {
    const alarms = Object.values(
      built.template.findResources('AWS::CloudWatch::Alarm'),
    ) as Resource[];
    const byMetric = (name: string) =>
      alarms.filter((alarm) => alarm.Properties.MetricName === name);
    expect(byMetric('IteratorAge')).toEqual([
      expect.objectContaining({
        Properties: expect.objectContaining({
          Threshold: WEBHOOK_ITERATOR_AGE_ALARM.toMilliseconds(),
        }),
      }),
    ]);
    expect(byMetric('ApproximateNumberOfMessagesVisible')).toHaveLength(1);
  });
});

describe('ConcordStack operations', () => {
  it('alarms on function errors and throttles, API 5xx and table faults', () => {
    const alarms = Object.values(
      built.template.findResources('AWS::CloudWatch::Alarm'),
    ) as Resource[];
    const metricNames = alarms.map((alarm) => alarm.Properties.MetricName).filter(Boolean);
    const perFunction = built.stack.functions.size;
    // The webhook function's errors too.
    expect(metricNames.filter((name) => name === 'Errors')).toHaveLength(perFunction + 1);
    expect(metricNames.filter((name) => name === 'Throttles')).toHaveLength(perFunction);
    expect(metricNames).toContain('5xx');
    const mathAlarms = JSON.stringify(alarms.map((alarm) => alarm.Properties.Metrics));
    expect(mathAlarms).toContain('"SystemErrors"');
    expect(mathAlarms).toContain('"ThrottledRequests"');
  });

  it('throttles the whole stage as an outer guard', () => {
    built.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
    });
  });

  it('outputs the API URL and the table name', () => {
    built.template.hasOutput('ApiUrl', {});
    built.template.hasOutput('TableName', { Value: { Ref: Match.anyValue() } });
  });

  it('leaves no AwsSolutions finding unacknowledged', () => {
    const report = new AwsSolutionsChecks(undefined, { verbose: true }).validateScope(built.stack);
    expect(report.violations.map((violation) => violation.ruleName)).toEqual([]);
  });

  it('refuses to build from an invalid configuration', () => {
    expect(() => buildApp({ context: SKIP_BUNDLING, rawConfig: { collections: [] } })).toThrow(
      ConfigError,
    );
  });
});
