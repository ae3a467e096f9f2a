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
        {
          name: 'notes',
          requirePrecondition: true,
          history: { keepVersions: 100, keepDays: 90 },
          conflictPolicy: 'reject',
        },
      ],
      rateLimit: { windowSeconds: 60, defaultQuota: 600 },
      conflicts: { retentionDays: 30 },
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
        {
          name: 'a_b-1',
          schema,
          requirePrecondition: false,
          history: DEFAULT_HISTORY,
          conflictPolicy: 'reject',
        },
      ],
      rateLimit: { windowSeconds: 60, defaultQuota: 600 },
      conflicts: { retentionDays: 30 },
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

  it('keeps a conflict policy, its field rules and the conflict retention', () => {
    const config = parseConfig({
      conflicts: { retentionDays: 7 },
      collections: [
        {
          name: 'stats',
          conflictPolicy: 'merge',
          fields: { '/views': 'counter', '/tags': 'union', '/a~1b/c': 'max' },
        },
        { name: 'notes', conflictPolicy: 'last-writer-wins' },
      ],
    });
    expect(config.conflicts).toEqual({ retentionDays: 7 });
    expect(config.collections[0]).toMatchObject({
      conflictPolicy: 'merge',
      fields: { '/views': 'counter', '/tags': 'union', '/a~1b/c': 'max' },
    });
    expect(config.collections[1]?.conflictPolicy).toBe('last-writer-wins');
  });

  it.each([
    [
      { conflictPolicy: 'ours' },
      'collections[0].conflictPolicy must be one of "reject", "last-writer-wins", "merge"',
    ],
    [{ fields: { '/n': 'counter' } }, 'collections[0].fields needs "conflictPolicy": "merge"'],
    [
      { conflictPolicy: 'merge', fields: [] },
      'collections[0].fields must be an object of JSON Pointer to rule',
    ],
    [
      { conflictPolicy: 'merge', fields: { n: 'counter' } },
      'collections[0].fields key "n" must be a JSON Pointer to a field, such as "/views"',
    ],
    [
      { conflictPolicy: 'merge', fields: { '/version': 'max' } },
      'collections[0].fields cannot name "/version": the server manages it',
    ],
    [
      { conflictPolicy: 'merge', fields: { '/n': 'sum' } },
      'collections[0].fields["/n"] must be one of "last-writer-wins", "server-wins", "max", "min", "union", "append", "counter"',
    ],
    [
      { conflictPolicy: 'merge', fields: { '/a': 'max', '/a/b': 'min' } },
      'collections[0].fields "/a/b" lies inside "/a", which has a rule',
    ],
  ])('refuses the conflict settings %j', (settings, message) => {
    expect(messageOf({ collections: [{ name: 'a', ...settings }] })).toBe(
      `invalid Concord configuration: ${message}`,
    );
  });

  it.each([
    [[], 'conflicts must be an object'],
    [{ days: 1 }, 'conflicts has unknown key "days"'],
    [{ retentionDays: 0 }, 'conflicts.retentionDays must be an integer from 1 to 3650'],
  ])('refuses the conflict retention %j', (conflicts, message) => {
    expect(messageOf({ conflicts, collections: [{ name: 'a' }] })).toBe(
      `invalid Concord configuration: ${message}`,
    );
  });
});
