import type { RateState } from '../core/access';

/**
 * draft-ietf-httpapi-ratelimit-headers: the policy (quota per window) and
 * the current state (remaining, seconds to reset), e.g.
 * `RateLimit-Policy: "default";q=100;w=60` and `RateLimit: "default";r=42;t=17`.
 */
export const rateHeaders = (rate: RateState): Record<string, string> => ({
  'ratelimit-policy': `"${rate.policy}";q=${rate.quota};w=${rate.windowSeconds}`,
  ratelimit: `"${rate.policy}";r=${rate.remaining};t=${rate.resetSeconds}`,
});
