import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project folder, whatever the working directory. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The table `npm start` and the key command use in DynamoDB Local. */
export const LOCAL_TABLE_NAME = 'concord';
/** Written into the data folder while `npm start` runs: where its DynamoDB Local listens. */
export const ENDPOINT_FILE = 'dynamodb-endpoint';

/** The data folder: `CONCORD_DATA_DIR`, else `.concord` in the project (git-ignored). */
export const dataDirFromEnv = (): string =>
  resolve(process.env.CONCORD_DATA_DIR || join(PROJECT_ROOT, '.concord'));

/** The configuration file: `CONCORD_CONFIG`, else the project's `concord.config.json`. */
export const configPathFromEnv = (): string =>
  resolve(process.env.CONCORD_CONFIG || join(PROJECT_ROOT, 'concord.config.json'));

/** Where DynamoDB Local keeps its database inside the data folder (an absolute path). */
export const dynamoDbPath = (dataDir: string): string => join(dataDir, 'dynamodb');
