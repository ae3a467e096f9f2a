/**
 * Settings that differ between deployments of the same code (a test stage, a
 * production one), read from CDK context: `cdk.json`, or `-c key=value` on the
 * command line (`npx cdk deploy -c concord:stageRateLimit=2000`). Values from
 * the command line arrive as strings; both forms are accepted and checked
 * here, so a bad value fails synth with a one-line reason.
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { CORS } from '../functions/http/cors';

export const CONTEXT_KEYS = {
  stageRateLimit: 'concord:stageRateLimit',
  stageBurstLimit: 'concord:stageBurstLimit',
  logRetentionDays: 'concord:logRetentionDays',
  alarmTopicArn: 'concord:alarmTopicArn',
  corsOrigins: 'concord:corsOrigins',
  conflictRateThreshold: 'concord:conflictRateThreshold',
} as const;

export interface DeploySettings {
  /** Steady requests per second the whole API accepts before API Gateway answers 429. */
  readonly stageRateLimit: number;
  /** Burst the whole API accepts. */
  readonly stageBurstLimit: number;
  /** Retention of the functions' and the access logs. */
  readonly logRetention: RetentionDays;
  /** An existing SNS topic for the alarms; absent: the stack makes one. */
  readonly alarmTopicArn?: string;
  /** Origins browsers may call the API from; `*` for any. */
  readonly corsOrigins: readonly string[];
  /** Share of a collection's writes that may conflict for 15 minutes before it alarms. */
  readonly conflictRateThreshold: number;
}

export const DEFAULT_DEPLOY_SETTINGS: DeploySettings = {
  stageRateLimit: 500,
  stageBurstLimit: 1000,
  logRetention: RetentionDays.ONE_MONTH,
  corsOrigins: CORS.allowOrigins,
  conflictRateThreshold: 0.25,
};

export class DeploySettingsError extends Error {
  constructor(key: string, message: string) {
    super(`invalid context ${key}: ${message}`);
    this.name = 'DeploySettingsError';
  }
}

const RETENTIONS = new Set<number>(
  Object.values(RetentionDays).filter((v): v is number => typeof v === 'number'),
);

const integer = (key: string, raw: unknown, max: number): number => {
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (!Number.isSafeInteger(value) || (value as number) < 1 || (value as number) > max) {
    throw new DeploySettingsError(key, `must be an integer from 1 to ${max}`);
  }
  return value as number;
};

const share = (key: string, raw: unknown): number => {
  const value = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
  if (typeof value !== 'number' || !(value > 0 && value <= 1)) {
    throw new DeploySettingsError(key, 'must be a number above 0 and at most 1');
  }
  return value;
};

const origins = (key: string, raw: unknown): string[] => {
  const list = typeof raw === 'string' ? raw.split(',') : raw;
  if (!Array.isArray(list) || list.length === 0) {
    throw new DeploySettingsError(key, 'must be a list of origins or a comma-separated string');
  }
  return list.map((entry) => {
    const origin = String(entry).trim();
    if (origin !== '*' && !/^https?:\/\/[A-Za-z0-9.-]+(:\d{1,5})?$/.test(origin)) {
      throw new DeploySettingsError(
        key,
        `"${origin}" is not * or an origin like https://app.example.com`,
      );
    }
    return origin;
  });
};

/** Reads and checks the deployment settings from a construct's context. */
export const deploySettings = (node: Node): DeploySettings => {
  const get = (key: string): unknown => node.tryGetContext(key);
  const rate = get(CONTEXT_KEYS.stageRateLimit);
  const burst = get(CONTEXT_KEYS.stageBurstLimit);
  const retention = get(CONTEXT_KEYS.logRetentionDays);
  const topic = get(CONTEXT_KEYS.alarmTopicArn);
  const cors = get(CONTEXT_KEYS.corsOrigins);
  const conflictRate = get(CONTEXT_KEYS.conflictRateThreshold);
  const logRetention =
    retention === undefined
      ? DEFAULT_DEPLOY_SETTINGS.logRetention
      : integer(CONTEXT_KEYS.logRetentionDays, retention, 3653);
  if (!RETENTIONS.has(logRetention)) {
    throw new DeploySettingsError(
      CONTEXT_KEYS.logRetentionDays,
      `must be one of CloudWatch's retention periods: ${[...RETENTIONS].sort((a, b) => a - b).join(', ')}`,
    );
  }
  if (
    topic !== undefined &&
    !/^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]+$/.test(String(topic))
  ) {
    throw new DeploySettingsError(CONTEXT_KEYS.alarmTopicArn, 'must be an SNS topic ARN');
  }
  return {
    stageRateLimit:
      rate === undefined
        ? DEFAULT_DEPLOY_SETTINGS.stageRateLimit
        : integer(CONTEXT_KEYS.stageRateLimit, rate, 1_000_000),
    stageBurstLimit:
      burst === undefined
        ? DEFAULT_DEPLOY_SETTINGS.stageBurstLimit
        : integer(CONTEXT_KEYS.stageBurstLimit, burst, 1_000_000),
    logRetention: logRetention as RetentionDays,
    ...(topic !== undefined ? { alarmTopicArn: String(topic) } : {}),
    conflictRateThreshold:
      conflictRate === undefined
        ? DEFAULT_DEPLOY_SETTINGS.conflictRateThreshold
        : share(CONTEXT_KEYS.conflictRateThreshold, conflictRate),
    corsOrigins:
      cors === undefined
        ? DEFAULT_DEPLOY_SETTINGS.corsOrigins
        : origins(CONTEXT_KEYS.corsOrigins, cors),
  };
};
