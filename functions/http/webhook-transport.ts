/**
 * The outbound side of webhooks: one POST per attempt, hardened against
 * server-side request forgery. The host is resolved here and every address
 * it resolves to is checked before connecting; the connection then goes to
 * the checked address (the lookup is the socket's own, so a second DNS
 * answer cannot slip in). Redirects are never followed, the whole attempt
 * has a deadline, and at most a few kilobytes of the answer are read.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { LookupFunction } from 'node:net';
import { DomainError } from '../core/errors';
import { addressKind } from '../core/ip-ranges';
import type { AttemptOutcome, WebhookTransport } from '../core/webhook-delivery';
import { addressAllowed, checkWebhookUrl, type WebhookPolicy } from '../core/webhook-urls';

export const DEFAULT_DELIVERY_TIMEOUT_MS = 5_000;
export const MAX_RESPONSE_BYTES = 16 * 1024;

/** Resolves a host name to all its addresses (node's `dns.lookup` with `all: true`). */
export type Resolver = (hostname: string) => Promise<LookupAddress[]>;

const systemResolver: Resolver = (hostname) =>
  new Promise((resolve, reject) => {
    dnsLookup(hostname, { all: true, verbatim: true }, (error, addresses) =>
      error ? reject(error) : resolve(addresses),
    );
  });

export interface TransportOptions {
  readonly policy: WebhookPolicy;
  /** The whole attempt: resolving, connecting, sending and the answer's head. */
  readonly timeoutMs?: number;
  readonly maxResponseBytes?: number;
  /** Replaces DNS, e.g. in tests. */
  readonly resolve?: Resolver;
}

class RefusedAddressError extends Error {}

const describe = (error: unknown): string =>
  error instanceof Error
    ? `${(error as NodeJS.ErrnoException).code ?? error.name}: ${error.message}`
    : String(error);

export const createWebhookTransport = ({
  policy,
  timeoutMs = DEFAULT_DELIVERY_TIMEOUT_MS,
  maxResponseBytes = MAX_RESPONSE_BYTES,
  resolve = systemResolver,
}: TransportOptions): WebhookTransport => {
  /** The socket's lookup: resolve, refuse if any address is not allowed, connect to a checked one. */
  const checkedLookup: LookupFunction = (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        const refused = addresses.find(
          (a) => !addressAllowed(addressKind(a.address) ?? 'reserved', policy),
        );
        if (refused || addresses.length === 0) {
          callback(
            new RefusedAddressError(
              refused
                ? `${hostname} resolves to ${refused.address}, a ${addressKind(refused.address)} address`
                : `${hostname} resolves to no address`,
            ),
            '',
            0,
          );
          return;
        }
        if (options.all) {
          (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, addresses);
        } else {
          const first = addresses[0] as LookupAddress;
          callback(null, first.address, first.family);
        }
      },
      (error: unknown) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };

  return (webhook) =>
    new Promise<AttemptOutcome>((settle) => {
      let url: URL;
      try {
        url = checkWebhookUrl(webhook.url, policy);
      } catch (error) {
        settle({
          kind: 'refused',
          reason: error instanceof DomainError ? error.message : describe(error),
        });
        return;
      }
      // An IP literal is never looked up: checkWebhookUrl above has judged it already.
      const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
      let finished = false;
      const finish = (outcome: AttemptOutcome): void => {
        if (finished) return;
        finished = true;
        clearTimeout(timer);
        request.destroy();
        settle(outcome);
      };
      const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
      const request = send(
        {
          protocol: url.protocol,
          hostname: host,
          port: url.port || undefined,
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          headers: {
            ...webhook.headers,
            'content-length': String(Buffer.byteLength(webhook.body)),
          },
          lookup: checkedLookup,
          // A fresh connection per attempt: every attempt resolves and checks again.
          agent: false,
        },
        (response: IncomingMessage) => {
          const status = response.statusCode ?? 0;
          let read = 0;
          response.on('data', (chunk: Buffer) => {
            read += chunk.length;
            // The answer's body is not needed; a large one is cut off, not waited for.
            if (read > maxResponseBytes) finish(outcomeOf(status));
          });
          response.on('end', () => finish(outcomeOf(status)));
          response.on('error', () => finish(outcomeOf(status)));
        },
      );
      const timer = setTimeout(
        () => finish({ kind: 'failed', reason: `no answer within ${timeoutMs} ms` }),
        timeoutMs,
      );
      request.on('error', (error) =>
        finish(
          error instanceof RefusedAddressError
            ? { kind: 'refused', reason: error.message }
            : { kind: 'failed', reason: describe(error) },
        ),
      );
      request.end(webhook.body);
    });
};

/** 2xx delivered; 3xx (never followed) and 4xx final; anything else worth a retry. */
export const outcomeOf = (status: number): AttemptOutcome => {
  if (status >= 200 && status < 300) return { kind: 'delivered', status };
  if (status >= 300 && status < 400) {
    return { kind: 'rejected', status, reason: `redirect (${status}) not followed` };
  }
  if (status >= 400 && status < 500)
    return { kind: 'rejected', status, reason: `the receiver answered ${status}` };
  return { kind: 'failed', status, reason: `the receiver answered ${status}` };
};
