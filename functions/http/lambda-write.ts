/** The Lambda entry point of the `write` function group: only its routes' handlers are bundled. */
import { writeHandlers } from './groups/write';
import { lambdaHandler } from './lambda-runtime';

export const handler = lambdaHandler(writeHandlers);
