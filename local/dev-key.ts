/**
 * The development API key of `npm start`: made on the first start and kept in
 * the git-ignored data folder, so the README's curl walkthrough works across
 * restarts. `CONCORD_DEV_API_KEY` chooses the key, for scripts and CI.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type ApiKeyStore, generateApiKey } from '../functions/core/api-keys';
import { createApiKey } from '../functions/core/key-admin';

export const DEV_TENANT = 'dev';
const DEV_KEY_FILE = 'dev-api-key';

/** Returns the development key, creating its record when the table lacks it. */
export const ensureDevKey = async (
  keys: ApiKeyStore,
  dataDir: string,
  rate: { quota: number; windowSeconds: number },
  chosen: string | undefined = process.env.CONCORD_DEV_API_KEY,
): Promise<string> => {
  const file = join(dataDir, DEV_KEY_FILE);
  let key = chosen?.trim();
  if (!key) {
    key = existsSync(file) ? readFileSync(file, 'utf8').trim() : generateApiKey();
    mkdirSync(dataDir, { recursive: true });
    writeFileSync(file, `${key}\n`, { mode: 0o600 });
  }
  // After the first start the record exists already; creating it again changes nothing.
  await createApiKey(keys, {
    tenant: DEV_TENANT,
    scopes: ['read', 'write'],
    ...rate,
    name: 'development',
    key,
  });
  return key;
};
