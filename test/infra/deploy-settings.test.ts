/** Per-deployment settings from CDK context reach the template; bad ones fail synth. */
import { Match, Template } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { CORS_ORIGINS_ENV } from '../../functions/http/cors';
import { buildApp } from '../../infra/build-app';
import { GROUP_ENTRIES } from '../../infra/bundle-options';
import { CONTEXT_KEYS, DeploySettingsError } from '../../infra/deploy-settings';

const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const templateWith = (context: Record<string, unknown>) =>
  Template.fromStack(buildApp({ context: { ...SKIP_BUNDLING, ...context } }).stack);

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:ops-alarms';

describe('deployment settings', () => {
  it('uses the defaults without context: 500/1000 stage throttle, a month of logs, a topic of its own', () => {
    const template = templateWith({});
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 500, ThrottlingBurstLimit: 1000 },
    });
    const retentions = Object.values(template.findResources('AWS::Logs::LogGroup')).map(
      (group) => (group as { Properties: { RetentionInDays: number } }).Properties.RetentionInDays,
    );
    expect(new Set(retentions)).toEqual(new Set([30]));
    template.resourceCountIs('AWS::SNS::Topic', 1);
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm'));
    expect(alarms.length).toBeGreaterThan(0);
    for (const alarm of alarms) {
      expect(
        (alarm as { Properties: { AlarmActions: unknown[] } }).Properties.AlarmActions,
      ).toEqual([{ Ref: expect.stringMatching(/^AlarmTopic/) }]);
    }
  });

  it('takes throttle, retention, alarm topic and CORS origins from context, as strings from -c too', () => {
    const template = templateWith({
      [CONTEXT_KEYS.stageRateLimit]: '2000',
      [CONTEXT_KEYS.stageBurstLimit]: 4000,
      [CONTEXT_KEYS.logRetentionDays]: '90',
      [CONTEXT_KEYS.alarmTopicArn]: TOPIC,
      [CONTEXT_KEYS.corsOrigins]: 'https://app.example.com, http://localhost:5173',
    });
    template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 2000, ThrottlingBurstLimit: 4000 },
    });
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
    template.resourceCountIs('AWS::SNS::Topic', 0);
    template.allResourcesProperties('AWS::CloudWatch::Alarm', { AlarmActions: [TOPIC] });
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      CorsConfiguration: Match.objectLike({
        AllowOrigins: ['https://app.example.com', 'http://localhost:5173'],
      }),
    });
    // Every function that answers browsers; the webhook function answers none.
    const routeFunctions = Object.entries(template.findResources('AWS::Lambda::Function')).filter(
      ([id]) => !id.startsWith('WebhookFunction'),
    );
    expect(routeFunctions).toHaveLength(Object.keys(GROUP_ENTRIES).length);
    for (const [, fn] of routeFunctions) {
      expect(fn.Properties.Environment.Variables[CORS_ORIGINS_ENV]).toBe(
        'https://app.example.com,http://localhost:5173',
      );
    }
  });

  it.each([
    [CONTEXT_KEYS.stageRateLimit, '0'],
    [CONTEXT_KEYS.stageBurstLimit, 'lots'],
    [CONTEXT_KEYS.logRetentionDays, 31],
    [CONTEXT_KEYS.alarmTopicArn, 'my-topic'],
    [CONTEXT_KEYS.corsOrigins, 'app.example.com'],
    [CONTEXT_KEYS.corsOrigins, []],
  ])('fails synth with a one-line reason for %s = %j', (key, value) => {
    const build = () => buildApp({ context: { ...SKIP_BUNDLING, [key]: value } });
    expect(build).toThrow(DeploySettingsError);
    expect(build).toThrow(new RegExp(`^invalid context ${key}: `));
  });
});
