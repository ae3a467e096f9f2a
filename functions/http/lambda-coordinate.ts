/** The Lambda entry point of the `coordinate` function group: only its routes' handlers are bundled. */
import { coordinateHandlers, coordinateServices } from './groups/coordinate';
import { lambdaHandler } from './lambda-runtime';
import { dynamoStores } from './lambda-stores';

export const handler = lambdaHandler(coordinateHandlers, coordinateServices, dynamoStores());
