/** Webhook subscription handlers: register (the secret's only appearance), list, remove. */
import { JSON_TYPE, jsonBody, pathParam } from '../request';
import { jsonResponse, noContent } from '../responses';
import type { RouteHandler } from './items';

export const subscriptionPath = (id: string): string =>
  `/v1/subscriptions/${encodeURIComponent(id)}`;

export const createSubscription: RouteHandler = async (event, { subscriptions, tenant }) => {
  const { value } = jsonBody(event, [JSON_TYPE]);
  const subscription = await subscriptions.create(tenant, value);
  return jsonResponse(201, subscription, {
    location: subscriptionPath(subscription.id),
    // The secret is in this answer only: no cache may keep it.
    'cache-control': 'no-store',
  });
};

export const listSubscriptions: RouteHandler = async (_event, { subscriptionReads, tenant }) =>
  jsonResponse(200, { items: await subscriptionReads.list(tenant) });

export const deleteSubscription: RouteHandler = async (event, { subscriptions, tenant }) => {
  await subscriptions.remove(tenant, pathParam(event, 'id'));
  return noContent();
};
