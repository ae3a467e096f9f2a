import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The project folder, whatever the working directory. */
export const PROJECT_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
/** The table `npm start` and the key command use in DynamoDB Local. */
export const LOCAL_TABLE_NAME = 'concord';
/** Written into the data folder while `npm start` runs: where its DynamoDB Local listens. */
export const ENDPOINT_FILE = 'dynamodb-endpoint';
