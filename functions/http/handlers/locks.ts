/** Lease handlers: acquire, renew and release the lease on one document. */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { BadRequestError } from '../../core/errors';
import type { LeaseGrant } from '../../core/lease-writes';
import { formatLockToken } from '../../core/leases';
import {
  documentTarget,
  idempotencyOf,
  JSON_TYPE,
  jsonBody,
  lockTokenOf,
  refusePreconditions,
} from '../request';
import { jsonResponse, noContent, replayHeaders } from '../responses';
import type { RouteHandler } from './items';

/** The optional `{ "ttlSeconds": n }` body of acquire and renew (and of a staged transaction's begin). */
export const ttlOf = (event: APIGatewayProxyEventV2): number | undefined => {
  if (!event.body) return undefined;
  const { value } = jsonBody(event, [JSON_TYPE]);
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new BadRequestError('the body must be an object such as {"ttlSeconds": 30}');
  }
  const { ttlSeconds } = value;
  if (ttlSeconds !== undefined && typeof ttlSeconds !== 'number') {
    throw new BadRequestError('ttlSeconds must be a number');
  }
  return ttlSeconds;
};

/** A lease is no representation: document preconditions do not apply to it. */
const leaseTarget = (event: APIGatewayProxyEventV2) => {
  refusePreconditions(event, 'a lease');
  return documentTarget(event);
};

const requiredToken = (event: APIGatewayProxyEventV2) => {
  const token = lockTokenOf(event);
  if (!token) throw new BadRequestError('this call needs the Lock-Token of the lease');
  return token;
};

const grantResponse = (grant: LeaseGrant) => {
  const lockToken = formatLockToken(grant.token);
  return jsonResponse(
    200,
    {
      lockToken,
      fencingToken: grant.token.fencing,
      expiresAt: new Date(grant.expiresAt).toISOString(),
      ttlSeconds: grant.ttlSeconds,
    },
    { 'lock-token': lockToken, ...replayHeaders(grant.replayed) },
  );
};

export const acquireLock: RouteHandler = async (event, { leases, tenant }) => {
  const { collection, id } = leaseTarget(event);
  const options = { idempotency: idempotencyOf(event) };
  return grantResponse(await leases.acquire(tenant, collection, id, ttlOf(event), options));
};

export const renewLock: RouteHandler = async (event, { leases, tenant }) => {
  const { collection, id } = leaseTarget(event);
  const token = requiredToken(event);
  const options = { idempotency: idempotencyOf(event) };
  return grantResponse(await leases.renew(tenant, collection, id, token, ttlOf(event), options));
};

export const releaseLock: RouteHandler = async (event, { leases, tenant }) => {
  const { collection, id } = leaseTarget(event);
  const options = { idempotency: idempotencyOf(event) };
  const { replayed } = await leases.release(tenant, collection, id, requiredToken(event), options);
  return noContent(replayHeaders(replayed));
};
