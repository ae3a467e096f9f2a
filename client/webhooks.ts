/**
 * Verifying Concord webhooks on the receiving side. Every delivery carries
 * `Concord-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`;
 * {@link verifyWebhook} checks the HMAC over the raw body exactly as it
 * arrived, refuses timestamps outside the tolerance (replays), and returns
 * the parsed event. Web Crypto only, so it runs in Node.js 20+, browsers,
 * and edge runtimes.
 */

export type WebhookEventType =
  | 'document.created'
  | 'document.updated'
  | 'document.deleted'
  | 'conflict.created'
  | 'conflict.resolved';

export interface WebhookEvent<Data = Record<string, unknown>> {
  /** The same for every delivery of one change: de-duplicate by it. */
  readonly id: string;
  readonly type: WebhookEventType;
  readonly time: string;
  readonly data: Data;
}

/** The name of the signature header (HTTP header names are case-insensitive). */
export const WEBHOOK_SIGNATURE_HEADER = 'Concord-Signature';

/** Seconds a delivery may be old (or ahead of the local clock) by default. */
export const DEFAULT_WEBHOOK_TOLERANCE_SECONDS = 300;

export class WebhookVerificationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebhookVerificationError';
  }
}

export interface VerifyWebhookOptions {
  /** Default 300 seconds. */
  readonly toleranceSeconds?: number;
  /** The current time in Unix milliseconds; `Date.now` by default. */
  readonly now?: () => number;
}

const encoder = new TextEncoder();

const hex = (bytes: ArrayBuffer): string =>
  Array.from(new Uint8Array(bytes), (b) => b.toString(16).padStart(2, '0')).join('');

/** Compares without stopping at the first difference, so timing tells nothing. */
const sameText = (a: string, b: string): boolean => {
  if (a.length !== b.length) return false;
  let difference = 0;
  for (let i = 0; i < a.length; i += 1) difference |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return difference === 0;
};

const parseHeader = (value: string): { timestamp: number; signatures: string[] } => {
  let timestamp: number | undefined;
  const signatures: string[] = [];
  for (const part of value.split(',')) {
    const at = part.indexOf('=');
    const key = part.slice(0, at).trim();
    const item = part.slice(at + 1).trim();
    if (key === 't' && /^\d{1,12}$/.test(item)) timestamp = Number(item);
    else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(item)) signatures.push(item.toLowerCase());
  }
  if (timestamp === undefined || signatures.length === 0) {
    throw new WebhookVerificationError(
      'the signature header has no t= timestamp or no v1= signature',
    );
  }
  return { timestamp, signatures };
};

/**
 * Verifies one delivery and returns its event; throws
 * {@link WebhookVerificationError} when the signature does not match the raw
 * body, the header is missing or malformed, or the timestamp is outside the
 * tolerance. Pass the body exactly as received: parsing and re-serialising
 * JSON changes the bytes the signature covers.
 *
 * @param rawBody the request body as text or bytes
 * @param header the `Concord-Signature` header's value
 * @param secret the subscription's secret (`whsec_…`), as registration answered it
 */
export const verifyWebhook = async <Data = Record<string, unknown>>(
  rawBody: string | Uint8Array,
  header: string | null | undefined,
  secret: string,
  options: VerifyWebhookOptions = {},
): Promise<WebhookEvent<Data>> => {
  if (!header) throw new WebhookVerificationError(`no ${WEBHOOK_SIGNATURE_HEADER} header`);
  const { timestamp, signatures } = parseHeader(header);
  const tolerance = options.toleranceSeconds ?? DEFAULT_WEBHOOK_TOLERANCE_SECONDS;
  const nowSeconds = Math.floor((options.now ?? Date.now)() / 1000);
  if (Math.abs(nowSeconds - timestamp) > tolerance) {
    throw new WebhookVerificationError(
      `the signature's timestamp is ${nowSeconds - timestamp} s away from now (tolerance ${tolerance} s)`,
    );
  }
  const body = typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody);
  const key = await crypto.subtle.importKey(
    'raw',
    encoder.encode(secret),
    { name: 'HMAC', hash: 'SHA-256' },
    false,
    ['sign'],
  );
  const expected = hex(
    await crypto.subtle.sign('HMAC', key, encoder.encode(`${timestamp}.${body}`)),
  );
  if (!signatures.some((signature) => sameText(signature, expected))) {
    throw new WebhookVerificationError('the signature does not match the body');
  }
  try {
    return JSON.parse(body) as WebhookEvent<Data>;
  } catch {
    throw new WebhookVerificationError('the signed body is not JSON');
  }
};
