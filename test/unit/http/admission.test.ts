import middy from '@middy/core';
import type {
  APIGatewayProxyEventV2,
  APIGatewayProxyStructuredResultV2,
  Context,
} from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import type { AccessService, Admission } from '../../../functions/core/access';
import { admission, admissionOf } from '../../../functions/http/admission';

const event = (): APIGatewayProxyEventV2 =>
  ({
    routeKey: 'GET /v1/{collection}/{id}',
    rawPath: '/v1/items/a',
    headers: { authorization: 'Bearer ck_whatever-key-123' },
    requestContext: { http: { method: 'GET' } },
  }) as unknown as APIGatewayProxyEventV2;

/** An admission service that admits at once and hands over a claim that ends when told. */
const accessWithPending = () => {
  let finishClaim = () => {};
  const pending = new Promise<void>((resolve) => {
    finishClaim = resolve;
  });
  const admitted: Admission = {
    principal: { tenant: 'acme', keyId: 'k', scopes: ['read'] },
    rate: { policy: 'default', quota: 10, windowSeconds: 60, remaining: 9, resetSeconds: 6 },
    roundTrips: 0,
    pending,
  };
  const access = { admit: async () => admitted } as unknown as AccessService;
  return { access, finishClaim };
};

const handlerWith = (access: AccessService, outcome: () => Promise<unknown>, done: () => void) =>
  middy<APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2>()
    .use(admission(access))
    .use({
      onError: async (request) => {
        request.response = { statusCode: 404 };
      },
    })
    .handler(async () => {
      try {
        await outcome();
        return { statusCode: 200 };
      } finally {
        done();
      }
    });

describe('the admission middleware', () => {
  it('ends a request only once the claim it started for later requests has ended', async () => {
    for (const outcome of [async () => {}, async () => Promise.reject(new Error('not found'))]) {
      const { access, finishClaim } = accessWithPending();
      const request = event();
      let ended = false;
      let handlerDone = () => {};
      const handled = new Promise<void>((resolve) => {
        handlerDone = resolve;
      });
      const answer = handlerWith(
        access,
        outcome,
        handlerDone,
      )(request, {} as Context).then((response) => {
        ended = true;
        return response;
      });
      await handled;
      // Everything the middlewares would do without waiting runs before the next macrotask.
      await new Promise((resolve) => setImmediate(resolve));
      // The handler is done, but a Lambda instance frozen now would stop the claim mid-call.
      expect(ended).toBe(false);
      finishClaim();
      const response = await answer;
      expect(response.headers?.ratelimit).toBe('"default";r=9;t=6');
      expect(admissionOf(request)?.roundTrips).toBe(0);
    }
  });
});
