import { describe, expect, it } from 'vitest';
import { ConfigError, DEFAULT_HISTORY, parseConfig } from '../../../functions/core/config';

const messageOf = (raw: unknown): string => {
  try {
    parseConfig(raw);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('parseConfig accepted it');
};

describe('parseConfig', () => {
  it('fills the default profile, requirePrecondition and history retention', () => {
    expect(parseConfig({ collections: [{ name: 'notes' }] })).toEqual({
      profile: 'default',
      collections: [
        { name: 'notes', requirePrecondition: true, history: { keepVersions: 100, keepDays: 90 } },
      ],
      rateLimit: { windowSeconds: 60, defaultQuota: 600 },
    });
  });

  it('keeps a schema, an opt-out and the strict profile', () => {
    const schema = { type: 'object' };
    expect(
      parseConfig({
        profile: 'strict-http',
        collections: [{ name: 'a_b-1', schema, requirePrecondition: false }],
      }),
    ).toEqual({
      profile: 'strict-http',
      collections: [
        { name: 'a_b-1', schema, requirePrecondition: false, history: DEFAULT_HISTORY },
      ],
      rateLimit: { windowSeconds: 60, defaultQuota: 600 },
    });
  });

  it('fills a partial history retention from the defaults', () => {
    const [only] = parseConfig({
      collections: [{ name: 'a', history: { keepVersions: 3 } }],
    }).collections;
    expect(only?.history).toEqual({ keepVersions: 3, keepDays: 90 });
  });

  it.each([
    [[], 'collections[0].history must be an object'],
    [{ keep: 1 }, 'collections[0].history has unknown key "keep"'],
    [{ keepVersions: 0 }, 'collections[0].history.keepVersions must be an integer from 1 to 10000'],
    [
      { keepVersions: 2.5 },
      'collections[0].history.keepVersions must be an integer from 1 to 10000',
    ],
    [{ keepDays: 3651 }, 'collections[0].history.keepDays must be an integer from 1 to 3650'],
  ])('refuses the history retention %j', (history, message) => {
    expect(messageOf({ collections: [{ name: 'a', history }] })).toBe(
      `invalid Concord configuration: ${message}`,
    );
  });

  it('keeps the unique fields a collection declares', () => {
    const [only] = parseConfig({
      collections: [{ name: 'a', unique: ['email', 'badge.no'] }],
    }).collections;
    expect(only?.unique).toEqual(['email', 'badge.no']);
  });

  it.each([
    ['email', 'collections[0].unique must be an array of at most 16 field names'],
    [
      Array.from({ length: 17 }, (_, i) => `f${i}`),
      'collections[0].unique must be an array of at most 16 field names',
    ],
    [['a#b'], 'collections[0].unique fields must match /^[A-Za-z0-9_.$-]{1,64}$/'],
    [[''], 'collections[0].unique fields must match /^[A-Za-z0-9_.$-]{1,64}$/'],
    [[7], 'collections[0].unique fields must match /^[A-Za-z0-9_.$-]{1,64}$/'],
    [['id'], 'collections[0].unique cannot name "id": the server manages it'],
    [['email', 'email'], 'collections[0].unique names a field twice'],
  ])('refuses the unique fields %j', (unique, message) => {
    expect(messageOf({ collections: [{ name: 'a', unique }] })).toBe(
      `invalid Concord configuration: ${message}`,
    );
  });

  it('fills a partial rate limit from the defaults', () => {
    expect(
      parseConfig({ collections: [{ name: 'a' }], rateLimit: { defaultQuota: 5 } }).rateLimit,
    ).toEqual({ windowSeconds: 60, defaultQuota: 5 });
  });

  it.each([
    [[], 'rateLimit must be an object'],
    [{ windowSeconds: 0 }, 'rateLimit.windowSeconds must be an integer from 1 to 3600'],
    [{ windowSeconds: 3601 }, 'rateLimit.windowSeconds must be an integer from 1 to 3600'],
    [{ defaultQuota: 1.5 }, 'rateLimit.defaultQuota must be an integer from 1 to 1000000'],
  ])('refuses the rate limit %j', (rateLimit, message) => {
    expect(messageOf({ collections: [{ name: 'a' }], rateLimit })).toBe(
      `invalid Concord configuration: ${message}`,
    );
  });

  it.each(['transactions', 'conflicts', 'subscriptions', 'openapi'])(
    'refuses the reserved name %s',
    (name) => {
      expect(messageOf({ collections: [{ name }] })).toBe(
        `invalid Concord configuration: "${name}" is a reserved name`,
      );
    },
  );

  it('refuses a collection declared twice', () => {
    expect(messageOf({ collections: [{ name: 'notes' }, { name: 'notes' }] })).toBe(
      'invalid Concord configuration: collection "notes" is declared twice',
    );
  });

  it.each(['Notes', '1notes', '', 'no tes', 'a'.repeat(65), 'notes.json', 7])(
    'refuses the bad name %j',
    (name) => {
      expect(messageOf({ collections: [{ name }] })).toMatch(/collections\[0\]\.name must match/);
    },
  );

  it('accepts a 64-character name', () => {
    expect(() => parseConfig({ collections: [{ name: 'a'.repeat(64) }] })).not.toThrow();
  });

  it('refuses unknown collection keys', () => {
    expect(messageOf({ collections: [{ name: 'a' }, { name: 'b', schemas: {} }] })).toBe(
      'invalid Concord configuration: collections[1] has unknown key "schemas"',
    );
  });

  it.each([
    [null, 'the top level must be an object'],
    [[], 'the top level must be an object'],
    [{ collections: [] }, 'collections must be a non-empty array'],
    [{}, 'collections must be a non-empty array'],
    [
      { profile: 'lenient', collections: [{ name: 'a' }] },
      'profile must be "default" or "strict-http"',
    ],
    [{ collections: ['a'] }, 'collections[0] must be an object'],
    [
      { collections: [{ name: 'a', schema: [] }] },
      'collections[0].schema must be a JSON Schema object',
    ],
    [
      { collections: [{ name: 'a', requirePrecondition: 'yes' }] },
      'collections[0].requirePrecondition must be a boolean',
    ],
  ])('refuses %j', (raw, message) => {
    expect(messageOf(raw)).toBe(`invalid Concord configuration: ${message}`);
  });
});
