/**
 * The HTTP application with every route of the route table: what the local
 * server and the tests run. The Lambda functions each serve one group's
 * routes over the same application (route-app.ts, functions/http/lambda-*.ts).
 */
import { coordinateHandlers, coordinateServices } from './groups/coordinate';
import { publicHandlers } from './groups/public';
import { readHandlers, readServices } from './groups/read';
import { writeHandlers, writeServices } from './groups/write';
import { type AppDependencies, createRouteApp, type HttpHandler } from './route-app';

export type { AppDependencies, HttpHandler } from './route-app';

/** Every route's handler, across the function groups. */
export const ALL_HANDLERS = {
  ...readHandlers,
  ...writeHandlers,
  ...coordinateHandlers,
  ...publicHandlers,
};

/**
 * Every service: the write group's items service, which also answers the
 * reads, the coordinate group's, and the read group's readers of staged
 * transactions and subscriptions.
 */
export const ALL_SERVICES = { ...readServices, ...coordinateServices, ...writeServices };

/** Builds the handler for all routes over the given configuration and store. */
export const createHttpHandler = (deps: AppDependencies): HttpHandler =>
  createRouteApp({ ...deps, handlers: ALL_HANDLERS, services: ALL_SERVICES });
