/**
 * The collection configuration, read by the CDK stack and the local server
 * from one file (`concord.config.json`) and checked here once for both.
 */
import { isPlainObject } from './documents';
import { COLLECTION_PATTERN, RESERVED_COLLECTIONS } from './limits';

export type HttpProfile = 'default' | 'strict-http';

/** How much of a document's version history is kept. */
export interface HistoryRetention {
  /** The newest this many versions (the current one included). */
  readonly keepVersions: number;
  /** Versions written within this many days. */
  readonly keepDays: number;
  /**
   * Days a deleted document's tombstone is kept; absent: for ever. Once a
   * tombstone may expire, a new document's first version is the time of its
   * creation in milliseconds instead of 1, so that versions still never go
   * back when an id is used again after its tombstone is gone.
   */
  readonly tombstoneDays?: number;
}

export const DEFAULT_HISTORY: HistoryRetention = { keepVersions: 100, keepDays: 90 };

export interface CollectionConfig {
  readonly name: string;
  /** JSON Schema (draft 2020-12) every stored document must satisfy. */
  readonly schema?: Record<string, unknown>;
  /** Writes need `If-Match` (or `If-None-Match: *` to create). Default true. */
  readonly requirePrecondition: boolean;
  /** Version history retention; a version is kept while both rules keep it. */
  readonly history: HistoryRetention;
  /** Top-level fields whose values are unique within a tenant and collection. */
  readonly unique?: readonly string[];
  /** What a stale write (an `If-Match` naming an older version) meets. Default `reject`. */
  readonly conflictPolicy: ConflictPolicy;
  /** Per-field rules of the `merge` policy, by JSON Pointer (e.g. `/views`). */
  readonly fields?: Readonly<Record<string, FieldRule>>;
}

/**
 * `reject`: a stale write is a 409. `last-writer-wins`: it is applied over
 * the current version. `merge`: a three-way merge with the version it names.
 */
export type ConflictPolicy = 'reject' | 'last-writer-wins' | 'merge';
export const CONFLICT_POLICIES: readonly ConflictPolicy[] = ['reject', 'last-writer-wins', 'merge'];

/** How the `merge` policy settles a field both sides changed. */
export type FieldRule =
  | 'last-writer-wins'
  | 'server-wins'
  | 'max'
  | 'min'
  | 'union'
  | 'append'
  | 'counter';
export const FIELD_RULES: readonly FieldRule[] = [
  'last-writer-wins',
  'server-wins',
  'max',
  'min',
  'union',
  'append',
  'counter',
];

/** How long refused conflicts stay open for resolution. */
export interface ConflictSettings {
  /** Days an open conflict is kept before its record expires. */
  readonly retentionDays: number;
}

export const DEFAULT_CONFLICTS: ConflictSettings = { retentionDays: 30 };

export interface RateLimitConfig {
  /** Length of the fixed rate window, in seconds. */
  readonly windowSeconds: number;
  /** Requests per window for keys created without their own quota. */
  readonly defaultQuota: number;
}

export interface ConcordConfig {
  /** `strict-http` answers failed `If-Match` / `If-None-Match` with 412 instead of 409. */
  readonly profile: HttpProfile;
  readonly collections: readonly CollectionConfig[];
  readonly rateLimit: RateLimitConfig;
  readonly conflicts: ConflictSettings;
}

export const DEFAULT_RATE_LIMIT: RateLimitConfig = { windowSeconds: 60, defaultQuota: 600 };

const positiveInteger = (value: unknown, max: number): value is number =>
  Number.isSafeInteger(value) && (value as number) >= 1 && (value as number) <= max;

const parseRateLimit = (raw: unknown): RateLimitConfig => {
  if (raw === undefined) return DEFAULT_RATE_LIMIT;
  if (!isPlainObject(raw)) throw new ConfigError('rateLimit must be an object');
  const {
    windowSeconds = DEFAULT_RATE_LIMIT.windowSeconds,
    defaultQuota = DEFAULT_RATE_LIMIT.defaultQuota,
  } = raw;
  if (!positiveInteger(windowSeconds, 3600)) {
    throw new ConfigError('rateLimit.windowSeconds must be an integer from 1 to 3600');
  }
  if (!positiveInteger(defaultQuota, 1_000_000)) {
    throw new ConfigError('rateLimit.defaultQuota must be an integer from 1 to 1000000');
  }
  return { windowSeconds, defaultQuota };
};

export class ConfigError extends Error {
  constructor(message: string) {
    super(`invalid Concord configuration: ${message}`);
    this.name = 'ConfigError';
  }
}

const COLLECTION_KEYS = new Set([
  'name',
  'schema',
  'requirePrecondition',
  'history',
  'unique',
  'conflictPolicy',
  'fields',
]);

/** Unique field names: they become part of table keys, so no `#` and a bounded length. */
export const UNIQUE_FIELD_PATTERN = /^[A-Za-z0-9_.$-]{1,64}$/;
/** Enough for any sane collection; keeps a write's claims and releases far below 100 parts. */
export const MAX_UNIQUE_FIELDS = 16;

const parseUnique = (raw: unknown, where: string): string[] => {
  if (raw === undefined) return [];
  if (!Array.isArray(raw) || raw.length > MAX_UNIQUE_FIELDS) {
    throw new ConfigError(
      `${where}.unique must be an array of at most ${MAX_UNIQUE_FIELDS} field names`,
    );
  }
  for (const field of raw) {
    if (typeof field !== 'string' || !UNIQUE_FIELD_PATTERN.test(field)) {
      throw new ConfigError(`${where}.unique fields must match ${UNIQUE_FIELD_PATTERN}`);
    }
    if (field === 'id' || field === 'version') {
      throw new ConfigError(`${where}.unique cannot name "${field}": the server manages it`);
    }
  }
  if (new Set(raw).size !== raw.length) {
    throw new ConfigError(`${where}.unique names a field twice`);
  }
  return raw as string[];
};

const MAX_KEEP_VERSIONS = 10_000;
const MAX_KEEP_DAYS = 3_650;

const parseHistory = (raw: unknown, where: string): HistoryRetention => {
  if (raw === undefined) return DEFAULT_HISTORY;
  if (!isPlainObject(raw)) throw new ConfigError(`${where}.history must be an object`);
  for (const key of Object.keys(raw)) {
    if (key !== 'keepVersions' && key !== 'keepDays' && key !== 'tombstoneDays') {
      throw new ConfigError(`${where}.history has unknown key "${key}"`);
    }
  }
  const {
    keepVersions = DEFAULT_HISTORY.keepVersions,
    keepDays = DEFAULT_HISTORY.keepDays,
    tombstoneDays,
  } = raw;
  if (!positiveInteger(keepVersions, MAX_KEEP_VERSIONS)) {
    throw new ConfigError(
      `${where}.history.keepVersions must be an integer from 1 to ${MAX_KEEP_VERSIONS}`,
    );
  }
  if (!positiveInteger(keepDays, MAX_KEEP_DAYS)) {
    throw new ConfigError(
      `${where}.history.keepDays must be an integer from 1 to ${MAX_KEEP_DAYS}`,
    );
  }
  if (tombstoneDays !== undefined && !positiveInteger(tombstoneDays, MAX_KEEP_DAYS)) {
    throw new ConfigError(
      `${where}.history.tombstoneDays must be an integer from 1 to ${MAX_KEEP_DAYS}`,
    );
  }
  return { keepVersions, keepDays, ...(tombstoneDays !== undefined ? { tombstoneDays } : {}) };
};

/** Rule paths: JSON Pointers of object members, not into arrays, never `/id` or `/version`. */
export const FIELD_POINTER_PATTERN = /^(\/([^/~]|~[01])+){1,8}$/;

const parseFields = (
  raw: unknown,
  policy: ConflictPolicy,
  where: string,
): Record<string, FieldRule> | undefined => {
  if (raw === undefined) return undefined;
  if (!isPlainObject(raw)) {
    throw new ConfigError(`${where}.fields must be an object of JSON Pointer to rule`);
  }
  if (policy !== 'merge') {
    throw new ConfigError(`${where}.fields needs "conflictPolicy": "merge"`);
  }
  const pointers = Object.keys(raw);
  for (const [pointer, rule] of Object.entries(raw)) {
    if (!FIELD_POINTER_PATTERN.test(pointer) || pointer.length > 256) {
      throw new ConfigError(
        `${where}.fields key "${pointer}" must be a JSON Pointer to a field, such as "/views"`,
      );
    }
    if (pointer === '/id' || pointer === '/version') {
      throw new ConfigError(`${where}.fields cannot name "${pointer}": the server manages it`);
    }
    if (typeof rule !== 'string' || !FIELD_RULES.includes(rule as FieldRule)) {
      throw new ConfigError(
        `${where}.fields["${pointer}"] must be one of ${FIELD_RULES.map((r) => `"${r}"`).join(', ')}`,
      );
    }
    const nested = pointers.find((other) => other !== pointer && pointer.startsWith(`${other}/`));
    if (nested) {
      throw new ConfigError(
        `${where}.fields "${pointer}" lies inside "${nested}", which has a rule`,
      );
    }
  }
  return raw as Record<string, FieldRule>;
};

const parseConflicts = (raw: unknown): ConflictSettings => {
  if (raw === undefined) return DEFAULT_CONFLICTS;
  if (!isPlainObject(raw)) throw new ConfigError('conflicts must be an object');
  for (const key of Object.keys(raw)) {
    if (key !== 'retentionDays') throw new ConfigError(`conflicts has unknown key "${key}"`);
  }
  const { retentionDays = DEFAULT_CONFLICTS.retentionDays } = raw;
  if (!positiveInteger(retentionDays, MAX_KEEP_DAYS)) {
    throw new ConfigError(`conflicts.retentionDays must be an integer from 1 to ${MAX_KEEP_DAYS}`);
  }
  return { retentionDays };
};

const parseCollection = (raw: unknown, index: number): CollectionConfig => {
  const where = `collections[${index}]`;
  if (!isPlainObject(raw)) throw new ConfigError(`${where} must be an object`);
  for (const key of Object.keys(raw)) {
    if (!COLLECTION_KEYS.has(key)) throw new ConfigError(`${where} has unknown key "${key}"`);
  }
  const { name, schema, requirePrecondition, history, unique, conflictPolicy, fields } = raw;
  if (typeof name !== 'string' || !COLLECTION_PATTERN.test(name)) {
    throw new ConfigError(`${where}.name must match ${COLLECTION_PATTERN}`);
  }
  if (RESERVED_COLLECTIONS.has(name)) throw new ConfigError(`"${name}" is a reserved name`);
  if (schema !== undefined && !isPlainObject(schema)) {
    throw new ConfigError(`${where}.schema must be a JSON Schema object`);
  }
  if (requirePrecondition !== undefined && typeof requirePrecondition !== 'boolean') {
    throw new ConfigError(`${where}.requirePrecondition must be a boolean`);
  }
  const policy = conflictPolicy ?? 'reject';
  if (typeof policy !== 'string' || !CONFLICT_POLICIES.includes(policy as ConflictPolicy)) {
    throw new ConfigError(
      `${where}.conflictPolicy must be one of ${CONFLICT_POLICIES.map((p) => `"${p}"`).join(', ')}`,
    );
  }
  const rules = parseFields(fields, policy as ConflictPolicy, where);
  return {
    name,
    ...(schema ? { schema } : {}),
    requirePrecondition: requirePrecondition ?? true,
    history: parseHistory(history, where),
    ...(unique !== undefined ? { unique: parseUnique(unique, where) } : {}),
    conflictPolicy: policy as ConflictPolicy,
    ...(rules !== undefined ? { fields: rules } : {}),
  };
};

/** Checks raw configuration (parsed JSON) and fills defaults. */
export const parseConfig = (raw: unknown): ConcordConfig => {
  if (!isPlainObject(raw)) throw new ConfigError('the top level must be an object');
  const profile = raw.profile ?? 'default';
  if (profile !== 'default' && profile !== 'strict-http') {
    throw new ConfigError('profile must be "default" or "strict-http"');
  }
  if (!Array.isArray(raw.collections) || raw.collections.length === 0) {
    throw new ConfigError('collections must be a non-empty array');
  }
  const collections = raw.collections.map(parseCollection);
  const names = new Set<string>();
  for (const { name } of collections) {
    if (names.has(name)) throw new ConfigError(`collection "${name}" is declared twice`);
    names.add(name);
  }
  return {
    profile,
    collections,
    rateLimit: parseRateLimit(raw.rateLimit),
    conflicts: parseConflicts(raw.conflicts),
  };
};
