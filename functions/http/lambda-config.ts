/**
 * The configuration a function serves. The stack checks concord.config.json
 * when it synthesizes and bakes the checked form into each bundle
 * (`bundleDefines` in infra/bundle-options.ts), so a cold start reads it
 * instead of checking it again, and the checks' code is not in the bundle.
 * Outside a bundle (tests, tools) the file is read and checked here.
 */
import rawConfig from '../../concord.config.json' with { type: 'json' };
import { type ConcordConfig, parseConfig } from '../core/config';

/** Replaced at bundle time by the checked configuration's JSON text; undefined elsewhere. */
declare const __CONCORD_CHECKED_CONFIG__: string | undefined;

export const functionConfig = (): ConcordConfig =>
  typeof __CONCORD_CHECKED_CONFIG__ === 'string'
    ? (JSON.parse(__CONCORD_CHECKED_CONFIG__) as ConcordConfig)
    : parseConfig(rawConfig);
