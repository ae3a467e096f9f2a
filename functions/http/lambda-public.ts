/** The Lambda entry point of the `public` function group: only its routes' handlers are bundled. */
import { publicHandlers } from './groups/public';
import { lambdaHandler } from './lambda-runtime';

export const handler = lambdaHandler(publicHandlers);
