/**
 * Webhook events and their signature. An event is JSON (`id`, `type`,
 * `time`, `data`); its signature header follows Stripe's scheme,
 * `Concord-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>`,
 * so receivers can check both the body and its age.
 */
import { createHash, createHmac } from 'node:crypto';

export const EVENT_TYPES = [
  'document.created',
  'document.updated',
  'document.deleted',
  'conflict.created',
  'conflict.resolved',
] as const;

export type EventType = (typeof EVENT_TYPES)[number];

export const SIGNATURE_HEADER = 'Concord-Signature';

export interface WebhookEvent {
  /** Stable for one change: a redelivery carries the same id, so receivers de-duplicate by it. */
  readonly id: string;
  readonly type: EventType;
  /** ISO time of the change. */
  readonly time: string;
  readonly data: Record<string, unknown>;
}

/** A change read from the table's stream, with the tenant whose subscribers hear of it. */
export interface TenantEvent {
  readonly tenant: string;
  /** The collection the change belongs to, for subscriptions filtered by collection. */
  readonly collection: string;
  readonly event: WebhookEvent;
}

/**
 * A deterministic event id: the same change always gets the same id, even
 * when the stream hands it over twice or another reader processes it.
 */
export const eventId = (...parts: readonly (string | number)[]): string =>
  `evt_${createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32)}`;

/** The `Concord-Signature` value of a raw body at `unixSeconds`. */
export const signatureHeader = (secret: string, unixSeconds: number, body: string): string => {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
};
