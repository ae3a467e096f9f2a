/** The dashboard, the conflict-rate alarms and the functions' JSON logs in the template. */
import { Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { METRIC } from '../../functions/http/cloudwatch-observer';
import { buildApp } from '../../infra/build-app';
import { CONTEXT_KEYS, DeploySettingsError } from '../../infra/deploy-settings';

const SKIP_BUNDLING = { 'aws:cdk:bundling-stacks': [] };
const CONFIG = { collections: [{ name: 'orders' }, { name: 'people' }] };
let template: Template;

beforeAll(() => {
  template = Template.fromStack(
    buildApp({
      context: { ...SKIP_BUNDLING, [CONTEXT_KEYS.conflictRateThreshold]: '0.4' },
      rawConfig: CONFIG,
    }).stack,
  );
}, 60_000);

type Resource = { Properties: Record<string, unknown> };

describe('monitoring', () => {
  it('alarms per collection when a share of its writes conflicts, notifying the alarm topic', () => {
    const alarms = Object.values(template.findResources('AWS::CloudWatch::Alarm')) as Resource[];
    const conflictAlarms = alarms.filter((alarm) =>
      JSON.stringify(alarm.Properties.Metrics ?? []).includes(METRIC.collectionConflicts),
    );
    expect(conflictAlarms).toHaveLength(2);
    for (const [i, name] of ['orders', 'people'].entries()) {
      const alarm = conflictAlarms[i] as Resource;
      expect(alarm.Properties.Threshold).toBe(0.4);
      expect(JSON.stringify(alarm.Properties.Metrics)).toContain(`"Value":"${name}"`);
      expect(alarm.Properties.AlarmActions).toEqual([
        { Ref: expect.stringMatching(/^AlarmTopic/) },
      ]);
    }
  });

  it('draws a dashboard of requests, conflicts by type, 428/429/replays, DynamoDB time and webhooks', () => {
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify((dashboards[0] as Resource).Properties.DashboardBody);
    for (const metric of [
      METRIC.requests,
      METRIC.conflicts,
      METRIC.preconditionRequired,
      METRIC.rateLimited,
      METRIC.idempotentReplays,
      METRIC.leaseContention,
      METRIC.dynamoTime,
      METRIC.webhookDeliveries,
    ]) {
      expect(body).toContain(metric);
    }
  });

  it('makes every function log JSON at the INFO level', () => {
    template.allResourcesProperties('AWS::Lambda::Function', {
      LoggingConfig: { LogFormat: 'JSON', ApplicationLogLevel: 'INFO', SystemLogLevel: 'WARN' },
    });
  });

  it.each(['0', '1.5', 'often'])('refuses a conflict-rate threshold of %j', (value) => {
    expect(() =>
      buildApp({ context: { ...SKIP_BUNDLING, [CONTEXT_KEYS.conflictRateThreshold]: value } }),
    ).toThrow(DeploySettingsError);
  });
});
