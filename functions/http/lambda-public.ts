/**
 * The Lambda entry point of the `public` function group (the API description,
 * the docs and API Gateway's `$default` route): only its routes' handlers are
 * bundled, and no DynamoDB client, since none of them reads the table.
 */
import { publicHandlers, publicServices } from './groups/public';
import { lambdaHandler } from './lambda-runtime';
import { tablelessStores } from './tableless-stores';

export const handler = lambdaHandler(publicHandlers, publicServices, tablelessStores());
