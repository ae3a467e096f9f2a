/**
 * The tests run on the Node.js major the functions are deployed on: npm
 * scripts put node_modules/.bin first on PATH, where the pinned `node`
 * package provides that major whatever the system Node is.
 */
import { describe, expect, it } from 'vitest';
import { FUNCTION_RUNTIME } from '../../infra/concord-stack';
import packageJson from '../../package.json' with { type: 'json' };

const DEPLOYED = FUNCTION_RUNTIME;

describe('the Node.js runtime', () => {
  it('runs the tests on the major version Lambda runs the functions on', () => {
    const major = process.versions.node.split('.')[0];
    expect(DEPLOYED.name).toBe(`nodejs${major}.x`);
  });

  it('pins that major as a development dependency', () => {
    const pinned = packageJson.devDependencies.node;
    expect(DEPLOYED.name).toBe(`nodejs${pinned.split('.')[0]}.x`);
  });
});
