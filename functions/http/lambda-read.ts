/** The Lambda entry point of the `read` function group: only its routes' handlers are bundled. */
import { readHandlers, readServices } from './groups/read';
import { lambdaHandler } from './lambda-runtime';
import { dynamoStores } from './lambda-stores';

export const handler = lambdaHandler(readHandlers, readServices, dynamoStores());
