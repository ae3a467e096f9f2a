/**
 * Stands in for the JSON Schema engine in a Lambda bundle built for a
 * configuration that declares no schema (infra/bundle-options.ts), so that
 * every cold start skips reading and compiling it. Reaching it means the
 * bundle was built for another configuration than the one it loaded: the
 * function refuses to start rather than store documents unchecked.
 */
import { ConfigError } from './config';

export class Ajv2020 {
  constructor() {
    throw new ConfigError(
      'this bundle was built for a configuration without schemas, but a collection declares one: build it again',
    );
  }
}
