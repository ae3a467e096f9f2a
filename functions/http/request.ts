/**
 * Reading an API Gateway v2 request: path parameters, precondition headers,
 * query and body. Every malformed part is a 4xx domain error here, before any
 * domain code runs.
 */
import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { findRequestIssues, utf8Length } from '../core/documents';
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
/** RFC 9110 §8.8.3: entity-tag = [ W/ ] DQUOTE *etagc DQUOTE. */
const TAG = /(W\/)?"([\x21\x23-\x7e\x80-\xff]*)"/y;
/** Optional white space and empty list elements (RFC 9110 §5.6.1.2: parse and ignore them). */
const SEPARATORS = /[ \t]*(?:,[ \t]*)*/y;

/** Parses an `If-Match` / `If-None-Match` value; undefined when the header is absent. */
export const parseTagSet = (name: string, value: string | undefined): TagSet | undefined => {
  if (value === undefined) return undefined;
  const trimmed = value.trim();
  if (trimmed === '*') return '*';
  const malformed = () =>
    new BadRequestError(`${name} must be * or a list of entity tags such as "7"`);
  const tags: EntityTag[] = [];
  let at = 0;
  const skipSeparators = (): number => {
    SEPARATORS.lastIndex = at;
    SEPARATORS.exec(trimmed);
    return SEPARATORS.lastIndex;
  };
  at = skipSeparators();
  while (at < trimmed.length) {
    TAG.lastIndex = at;
    const match = TAG.exec(trimmed);
    if (!match) throw malformed();
    tags.push({ weak: match[1] !== undefined, opaque: match[2] ?? '' });
    if (tags.length > MAX_TAGS)
      throw new BadRequestError(`${name} names more than ${MAX_TAGS} tags`);
    at = TAG.lastIndex;
    const next = skipSeparators();
    // Two tags need a comma between them, not just white space.
    if (next < trimmed.length && !trimmed.slice(at, next).includes(',')) throw malformed();
    at = next;
  }
  if (tags.length === 0) throw malformed();
  return tags;
};

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const DAY = '(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun)';
const LONG_DAY = '(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)';
const MONTH = `(${MONTHS.join('|')})`;
const TIME = '(\\d{2}):(\\d{2}):(\\d{2})';
/** The three HTTP-date forms a recipient must accept (RFC 9110 §5.6.7). */
const IMF_FIXDATE = new RegExp(`^${DAY}, (\\d{2}) ${MONTH} (\\d{4}) ${TIME} GMT$`);
const RFC850_DATE = new RegExp(`^${LONG_DAY}, (\\d{2})-${MONTH}-(\\d{2}) ${TIME} GMT$`);
const ASCTIME_DATE = new RegExp(`^${DAY} ${MONTH} ([ \\d]\\d) ${TIME} (\\d{4})$`);

interface DateParts {
  readonly day: string;
  readonly month: string;
  readonly year: number;
  readonly h: string;
  readonly m: string;
  readonly s: string;
}

const dateParts = (text: string): DateParts | undefined => {
  const fixdate = IMF_FIXDATE.exec(text);
  if (fixdate) {
    const [, day = '', month = '', year = '', h = '', m = '', s = ''] = fixdate;
    return { day, month, year: Number(year), h, m, s };
  }
  const rfc850 = RFC850_DATE.exec(text);
  if (rfc850) {
    const [, day = '', month = '', year = '', h = '', m = '', s = ''] = rfc850;
    // Two-digit years more than 50 years in the future are in the past (§5.6.7).
    const thisYear = new Date().getUTCFullYear();
    let full = Math.floor(thisYear / 100) * 100 + Number(year);
    if (full > thisYear + 50) full -= 100;
    return { day, month, year: full, h, m, s };
  }
  const asctime = ASCTIME_DATE.exec(text);
  if (asctime) {
    const [, month = '', day = '', h = '', m = '', s = '', year = ''] = asctime;
    return { day: day.trim(), month, year: Number(year), h, m, s };
  }
  return undefined;
};

/**
 * Parses an HTTP-date into epoch milliseconds; undefined when it is not one
 * (RFC 9110 §13.1.3/§13.1.4: a recipient ignores an invalid date).
 */
export const parseHttpDate = (value: string | undefined): number | undefined => {
  if (value === undefined) return undefined;
  const text = value.trim();
  const parts = dateParts(text);
  if (!parts) return undefined;
  const ms = Date.UTC(
    parts.year,
    MONTHS.indexOf(parts.month),
    Number(parts.day),
    Number(parts.h),
    Number(parts.m),
    Number(parts.s),
  );
  // Refuse dates that do not exist (31 Feb, 25:00:00) rather than roll them over.
  const check = new Date(ms);
  return check.getUTCDate() === Number(parts.day) &&
    check.getUTCHours() === Number(parts.h) &&
    check.getUTCMinutes() === Number(parts.m) &&
    check.getUTCSeconds() === Number(parts.s)
    ? ms
    : undefined;
};

export const header = (event: APIGatewayProxyEventV2, name: string): string | undefined =>
  event.headers?.[name];

export const preconditionsOf = (event: APIGatewayProxyEventV2): Preconditions => {
  const ifMatch = parseTagSet('If-Match', header(event, 'if-match'));
  const ifNoneMatch = parseTagSet('If-None-Match', header(event, 'if-none-match'));
  const ifUnmodifiedSince = parseHttpDate(header(event, 'if-unmodified-since'));
  const ifModifiedSince = parseHttpDate(header(event, 'if-modified-since'));
  return {
    ...(ifMatch !== undefined ? { ifMatch } : {}),
    ...(ifNoneMatch !== undefined ? { ifNoneMatch } : {}),
    ...(ifUnmodifiedSince !== undefined ? { ifUnmodifiedSince } : {}),
    ...(ifModifiedSince !== undefined ? { ifModifiedSince } : {}),
  };
};

const ENTITY_TAG_PRECONDITIONS = ['if-match', 'if-none-match', 'if-unmodified-since'] as const;

/**
 * Routes whose target has no entity tag or modification date of its own (a
 * collection, a lease) cannot evaluate a precondition on it, and must not
 * silently ignore one (RFC 9110 §13.1.1): such a request is refused.
 * `If-Modified-Since` is ignored there, as §13.1.3 says for resources without
 * a modification date.
 */
export const refusePreconditions = (event: APIGatewayProxyEventV2, target: string): void => {
  const sent = ENTITY_TAG_PRECONDITIONS.find((name) => header(event, name) !== undefined);
  if (sent) {
    throw new BadRequestError(
      `${target} has no version to compare: ${sent} does not apply here` +
        ' (send preconditions to /v1/{collection}/{id})',
    );
  }
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
  const issues = findRequestIssues(value);
  if (issues.length > 0) throw new ValidationError('the body is not acceptable', issues);
  return { mediaType, value };
};
