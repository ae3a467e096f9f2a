import { describe, expect, it } from 'vitest';
import rawConfig from '../../../concord.config.json' with { type: 'json' };
import exampleConfig from '../../../concord.example.json' with { type: 'json' };
import { parseConfig } from '../../../functions/core/config';
import { functionConfig } from '../../../functions/http/lambda-config';
import { bundleDefines, CHECKED_CONFIG_GLOBAL } from '../../../infra/bundle-options';

describe('the configuration baked into a bundle', () => {
  it.each([
    ['shipped', rawConfig],
    ['example', exampleConfig],
  ])('is the %s configuration as checked, unchanged by the trip through JSON', (_, raw) => {
    const checked = parseConfig(raw);
    const baked = bundleDefines(checked)[CHECKED_CONFIG_GLOBAL];
    // esbuild's define takes a JavaScript literal: the JSON text of the JSON text.
    expect(JSON.parse(JSON.parse(String(baked)))).toEqual(checked);
  });

  it('is read and checked from concord.config.json outside a bundle', () => {
    expect(functionConfig()).toEqual(parseConfig(rawConfig));
  });
});
