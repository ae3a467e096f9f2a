/** Operator actions on API keys: create (the key is shown once), list, revoke. */
import {
  type ApiKeyRecord,
  type ApiKeyStore,
  generateApiKey,
  hashApiKey,
  keyIdOf,
  rateParameters,
  SCOPES,
  type Scope,
  TENANT_PATTERN,
} from './api-keys';
import { DEFAULT_RATE_LIMIT } from './config';

export interface NewKeyOptions {
  readonly tenant: string;
  readonly scopes: readonly string[];
  /** Requests per window, the sustained rate and the largest burst. */
  readonly quota: number;
  /** The window the quota is stated for; the configuration's default when absent. */
  readonly windowSeconds?: number;
  readonly name?: string;
  /** A chosen key (a development key); a random one when absent. */
  readonly key?: string;
  readonly now?: Date;
}

export class KeyAdminError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KeyAdminError';
  }
}

/** Creates and stores a key; returns the key itself, which is never stored. */
export const createApiKey = async (
  store: ApiKeyStore,
  options: NewKeyOptions,
): Promise<{ key: string; record: ApiKeyRecord; created: boolean }> => {
  if (!TENANT_PATTERN.test(options.tenant)) {
    throw new KeyAdminError(`a tenant must match ${TENANT_PATTERN.source}`);
  }
  const scopes = [...new Set(options.scopes)];
  if (scopes.length === 0 || !scopes.every((s): s is Scope => SCOPES.includes(s as Scope))) {
    throw new KeyAdminError(`scopes must be some of: ${SCOPES.join(', ')}`);
  }
  if (!Number.isSafeInteger(options.quota) || options.quota < 1) {
    throw new KeyAdminError('the quota must be a positive integer');
  }
  const windowSeconds = options.windowSeconds ?? DEFAULT_RATE_LIMIT.windowSeconds;
  if (!Number.isSafeInteger(windowSeconds) || windowSeconds < 1) {
    throw new KeyAdminError('the window must be a positive number of seconds');
  }
  const key = options.key ?? generateApiKey();
  if (!/^[\x21-\x7e]{16,256}$/.test(key)) {
    throw new KeyAdminError('a key must be 16 to 256 printable ASCII characters');
  }
  const hash = hashApiKey(key);
  const record: ApiKeyRecord = {
    keyId: keyIdOf(hash),
    tenant: options.tenant,
    scopes: scopes as Scope[],
    name: options.name ?? '',
    quota: options.quota,
    createdAt: (options.now ?? new Date()).toISOString(),
    ...rateParameters(options.quota, windowSeconds),
    tat: 0,
    allowAt: 0,
  };
  const created = await store.create(hash, record);
  return { key, record, created };
};
