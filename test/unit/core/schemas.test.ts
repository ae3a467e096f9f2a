import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../../functions/core/config';
import { ValidationError } from '../../../functions/core/errors';
import type { JsonObject } from '../../../functions/core/items-model';
import { compileValidator } from '../../../functions/core/schemas';

const validator = compileValidator({
  name: 'people',
  requirePrecondition: true,
  schema: {
    type: 'object',
    required: ['name'],
    properties: {
      name: { type: 'string' },
      age: { type: 'integer', minimum: 0 },
      address: {
        type: 'object',
        required: ['city'],
        properties: { city: { type: 'string' } },
      },
    },
  },
});

const issuesOf = (body: JsonObject) => {
  try {
    validator(body);
  } catch (error) {
    expect(error).toBeInstanceOf(ValidationError);
    return (error as ValidationError).errors;
  }
  throw new Error('the document was accepted');
};

describe('compileValidator', () => {
  it('accepts a matching document', () => {
    expect(() => validator({ name: 'Ada', age: 36, address: { city: 'London' } })).not.toThrow();
  });

  it('points at the missing property of a required error', () => {
    expect(issuesOf({})).toEqual([
      { pointer: '/name', message: "must have required property 'name'" },
    ]);
    expect(issuesOf({ name: 'Ada', address: {} })).toEqual([
      { pointer: '/address/city', message: "must have required property 'city'" },
    ]);
  });

  it('points at the offending value of a type error and reports all errors', () => {
    expect(issuesOf({ name: 3, age: -1 })).toEqual([
      { pointer: '/name', message: 'must be string' },
      { pointer: '/age', message: 'must be >= 0' },
    ]);
  });

  it('names the collection in the error message', () => {
    try {
      validator({});
    } catch (error) {
      expect((error as Error).message).toBe('the document does not match the schema of "people"');
    }
  });

  // The missing property name is appended raw; RFC 6901 needs "/" as "~1" and "~" as "~0".
  it('escapes a required property name into a JSON Pointer', () => {
    const escaping = compileValidator({
      name: 'odd',
      requirePrecondition: true,
      schema: { type: 'object', required: ['a/b'] },
    });
    try {
      escaping({});
      expect.unreachable();
    } catch (error) {
      expect((error as ValidationError).errors[0]?.pointer).toBe('/a~1b');
    }
  });

  it('validates nothing without a schema', () => {
    expect(() =>
      compileValidator({ name: 'free', requirePrecondition: true })({ any: 'thing' }),
    ).not.toThrow();
  });

  it('turns a schema that does not compile into a ConfigError', () => {
    const compile = () =>
      compileValidator({ name: 'bad', requirePrecondition: true, schema: { type: 'whatever' } });
    expect(compile).toThrow(ConfigError);
    expect(compile).toThrow(/^invalid Concord configuration: the schema of "bad" does not compile/);
  });
});
