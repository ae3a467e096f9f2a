/**
 * Reading an API Gateway v2 request: path parameters, precondition headers,
 * query and body. Every malformed part is a 4xx domain error here, before any
 * domain code runs.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { findJsonIssues, utf8Length } from '../core/documents';
import {
  BadRequestError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../core/errors';
import { fingerprintOf, type IdempotencyRequest } from '../core/idempotency';
import type { WriteOptions } from '../core/items';
import type { JsonValue, LockToken } from '../core/items-model';
import { parseLockToken } from '../core/leases';
import { MAX_REQUEST_BYTES } from '../core/limits';
import type { EntityTag, Preconditions, TagSet } from '../core/preconditions';
import { principalOf } from './admission';

const MAX_TAGS = 20;
/** RFC 9110 §8.8.3: entity-tag = [ W/ ] DQUOTE *etagc DQUOTE, in a comma list. */
const TAG = /\s*(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"\s*(?:,|$)/y;

/** Parses an `If-Match` / `If-None-Match` value; undefined when the header is absent. */
export const parseTagSet = (name: string, value: string | undefined): TagSet | undefined => {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '*') return '*';
  const tags: EntityTag[] = [];
  TAG.lastIndex = 0;
  while (TAG.lastIndex < trimmed.length) {
    const match = TAG.exec(trimmed);
    if (!match) break;
    tags.push({ weak: match[1] !== undefined, opaque: match[2] ?? '' });
    if (tags.length > MAX_TAGS)
      throw new BadRequestError(`${name} names more than ${MAX_TAGS} tags`);
  }
  if (tags.length === 0 || TAG.lastIndex !== trimmed.length) {
    throw new BadRequestError(`${name} must be * or a list of entity tags such as "7"`);
  }
  return tags;
};

export const header = (event: APIGatewayProxyEventV2, name: string): string | undefined =>
  event.headers?.[name];

export const preconditionsOf = (event: APIGatewayProxyEventV2): Preconditions => {
  const ifMatch = parseTagSet('If-Match', header(event, 'if-match'));
  const ifNoneMatch = parseTagSet('If-None-Match', header(event, 'if-none-match'));
  return {
    ...(ifMatch !== undefined ? { ifMatch } : {}),
    ...(ifNoneMatch !== undefined ? { ifNoneMatch } : {}),
  };
};

/**
 * The Idempotency-Key of a write (a structured-field string, quoted, or a
 * bare token as many clients send it) with a digest of the request it came
 * with. Undefined when the header is absent.
 */
export const idempotencyOf = (event: APIGatewayProxyEventV2): IdempotencyRequest | undefined => {
  const raw = header(event, 'idempotency-key');
  if (raw === undefined) return undefined;
  const trimmed = raw.trim();
  const key = /^"[^"\\]*"$/.test(trimmed) ? trimmed.slice(1, -1) : trimmed;
  if (!/^[\x21-\x7e]{1,255}$/.test(key)) {
    throw new BadRequestError('Idempotency-Key must be 1 to 255 printable ASCII characters');
  }
  const lockToken = header(event, 'lock-token');
  return {
    key,
    fingerprint: fingerprintOf(
      event.requestContext.http.method,
      event.rawPath,
      header(event, 'content-type') ?? '',
      header(event, 'if-match') ?? '',
      header(event, 'if-none-match') ?? '',
      event.body ?? '',
      // Only when present, so requests without one keep the digest they always had.
      ...(lockToken !== undefined ? [lockToken] : []),
    ),
  };
};

/** The `Lock-Token` a write or a lease call presents; undefined when absent. */
export const lockTokenOf = (event: APIGatewayProxyEventV2): LockToken | undefined => {
  const raw = header(event, 'lock-token');
  return raw === undefined ? undefined : parseLockToken(raw);
};

/** Everything a write carries besides its preconditions. */
export const writeOptionsOf = (event: APIGatewayProxyEventV2): WriteOptions => ({
  idempotency: idempotencyOf(event),
  lockToken: lockTokenOf(event),
  keyId: principalOf(event)?.keyId,
});

export const pathParam = (event: APIGatewayProxyEventV2, name: string): string => {
  const value = event.pathParameters?.[name];
  if (value === undefined) throw new BadRequestError(`missing path parameter ${name}`);
  return value;
};

/** The collection and id of a document route (`/v1/{collection}/{id}…`). */
export const documentTarget = (event: APIGatewayProxyEventV2) => ({
  collection: pathParam(event, 'collection'),
  id: pathParam(event, 'id'),
});

export const queryParam = (event: APIGatewayProxyEventV2, name: string): string | undefined =>
  event.queryStringParameters?.[name];

export const JSON_TYPE = 'application/json';
export const MERGE_PATCH_TYPE = 'application/merge-patch+json';
export const JSON_PATCH_TYPE = 'application/json-patch+json';

/** The media type of the body, lowercased, without parameters; utf-8 is the only charset. */
const mediaTypeOf = (event: APIGatewayProxyEventV2, accepted: readonly string[]): string => {
  const raw = header(event, 'content-type');
  const [type = '', ...params] = (raw ?? '').split(';').map((part) => part.trim().toLowerCase());
  const charset = params.find((p) => p.startsWith('charset='))?.slice('charset='.length);
  if (
    !accepted.includes(type) ||
    (charset !== undefined && charset.replaceAll('"', '') !== 'utf-8')
  ) {
    throw new UnsupportedMediaTypeError(
      raw ? `${raw} is not accepted here` : 'a Content-Type is required',
      accepted,
    );
  }
  return type;
};

/** Reads and parses a JSON body of one of the accepted media types. */
export const jsonBody = (
  event: APIGatewayProxyEventV2,
  accepted: readonly string[],
): { mediaType: string; value: JsonValue } => {
  const mediaType = mediaTypeOf(event, accepted);
  const raw = event.body ?? '';
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  const size = event.isBase64Encoded ? Buffer.byteLength(raw, 'base64') : utf8Length(text);
  if (size > MAX_REQUEST_BYTES) {
    throw new PayloadTooLargeError(
      `the body is ${size} bytes; the limit is ${MAX_REQUEST_BYTES}`,
      MAX_REQUEST_BYTES,
    );
  }
  if (text.trim() === '') throw new BadRequestError('a JSON body is required');
  let value: JsonValue;
  try {
    value = JSON.parse(text) as JsonValue;
  } catch (error) {
    throw new BadRequestError(`the body is not valid JSON: ${(error as Error).message}`);
  }
  const issues = findJsonIssues(value);
  if (issues.length > 0) throw new ValidationError('the body is not acceptable', issues);
  return { mediaType, value };
};
