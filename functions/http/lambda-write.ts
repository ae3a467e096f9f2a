/** The Lambda entry point of the `write` function group: only its routes' handlers are bundled. */
import { writeHandlers, writeServices } from './groups/write';
import { lambdaHandler } from './lambda-runtime';
import { dynamoStores } from './lambda-stores';

export const handler = lambdaHandler(writeHandlers, writeServices, dynamoStores());
