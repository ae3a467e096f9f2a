import { readFileSync } from 'node:fs';
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { parseConfig } from '../functions/core/config';
import { ConcordStack } from './concord-stack';

const CONFIG_FILE = new URL('../concord.config.json', import.meta.url);
const CDK_JSON = new URL('../cdk.json', import.meta.url);

/**
 * The context of cdk.json (the feature flags of the CDK version in use), so
 * that tests synthesize with the same flags as `cdk synth`.
 */
const projectContext = (): Record<string, unknown> =>
  (JSON.parse(readFileSync(CDK_JSON, 'utf8')) as { context?: Record<string, unknown> }).context ??
  {};

export interface BuildAppOptions {
  /** Extra CDK context, e.g. `'aws:cdk:bundling-stacks': []` in tests. */
  readonly context?: Record<string, unknown>;
  /** Raw configuration instead of `concord.config.json`. */
  readonly rawConfig?: unknown;
}

/**
 * The app exactly as `cdk synth` builds it, shared with the tests so they
 * check the same checks and acknowledgements the CLI runs.
 */
export const buildApp = (options: BuildAppOptions = {}): { app: App; stack: ConcordStack } => {
  // Parse before any construct exists: a bad configuration must fail synth,
  // not deploy functions that reject every request.
  const config = parseConfig(options.rawConfig ?? JSON.parse(readFileSync(CONFIG_FILE, 'utf8')));
  const app = new App({ context: { ...projectContext(), ...options.context } });
  const account = process.env.CDK_DEFAULT_ACCOUNT;
  const region = process.env.CDK_DEFAULT_REGION;
  const stack = new ConcordStack(app, 'Concord', {
    config,
    ...(account || region ? { env: { account, region } } : {}),
    description: 'Concord: a conflict-safe JSON resource API',
  });
  // cdk-nag 3 is a validation plugin; registered through Aspects it throws.
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app, { verbose: true }));
  return { app, stack };
};
