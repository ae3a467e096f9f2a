/**
 * Which webhook URLs may be registered: https only; plain http only to a
 * loopback host, and only when the API runs in local mode (`npm start`),
 * so a receiver on the developer's machine can listen without TLS. Hosts
 * that are private, loopback or link-local addresses are refused here;
 * host names are resolved and checked again on every delivery, since DNS
 * may change after registration.
 */
import { ValidationError } from './errors';
import { type AddressKind, addressKind } from './ip-ranges';

export interface WebhookPolicy {
  /** Local development: loopback receivers allowed, over http too. Never set on AWS. */
  readonly localMode: boolean;
}

export const MAX_URL_LENGTH = 2048;

const isLoopbackName = (host: string): boolean =>
  host === 'localhost' || host.endsWith('.localhost');

/** Whether a resolved (or literal) address may receive deliveries under the policy. */
export const addressAllowed = (kind: AddressKind, policy: WebhookPolicy): boolean =>
  kind === 'public' || (policy.localMode && kind === 'loopback');

/** The host's kind before any resolution: a literal's kind, `loopback` for localhost names. */
const hostKind = (hostname: string): AddressKind | undefined =>
  isLoopbackName(hostname.toLowerCase()) ? 'loopback' : addressKind(hostname);

const refuse = (pointer: string, message: string): never => {
  throw new ValidationError(`the subscription is not acceptable: ${message}`, [
    { pointer, message },
  ]);
};

/**
 * The URL as it will be called, or a {@link ValidationError} naming what is
 * wrong with it. `pointer` locates the URL in the request body.
 */
export const checkWebhookUrl = (raw: unknown, policy: WebhookPolicy, pointer = '/url'): URL => {
  if (typeof raw !== 'string' || raw === '') return refuse(pointer, 'must be an absolute URL');
  if (raw.length > MAX_URL_LENGTH) {
    return refuse(pointer, `must be at most ${MAX_URL_LENGTH} characters`);
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return refuse(pointer, 'must be an absolute URL');
  }
  if (url.username || url.password) return refuse(pointer, 'must not carry credentials');
  if (url.hash) return refuse(pointer, 'must not carry a fragment');
  const kind = hostKind(url.hostname);
  if (url.protocol === 'http:') {
    if (!(policy.localMode && kind === 'loopback')) {
      return refuse(pointer, 'must use https (plain http only to loopback in local mode)');
    }
    return url;
  }
  if (url.protocol !== 'https:') return refuse(pointer, 'must use https');
  if (kind !== undefined && !addressAllowed(kind, policy)) {
    return refuse(pointer, `must not name a ${kind} address`);
  }
  return url;
};
