import type { APIGatewayProxyEventV2 } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import {
  BadRequestError,
  PayloadTooLargeError,
  UnsupportedMediaTypeError,
  ValidationError,
} from '../../../functions/core/errors';
import { fingerprintOf } from '../../../functions/core/idempotency';
import {
  idempotencyOf,
  JSON_PATCH_TYPE,
  JSON_TYPE,
  jsonBody,
  MERGE_PATCH_TYPE,
  parseTagSet,
  preconditionsOf,
} from '../../../functions/http/request';

const event = (
  headers: Record<string, string>,
  body?: string,
  isBase64Encoded = false,
): APIGatewayProxyEventV2 =>
  ({
    version: '2.0',
    routeKey: 'PUT /v1/{collection}/{id}',
    rawPath: '/v1/notes/n1',
    rawQueryString: '',
    headers,
    isBase64Encoded,
    ...(body !== undefined ? { body } : {}),
  }) as APIGatewayProxyEventV2;

const caught = (fn: () => unknown): unknown => {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
};

describe('parseTagSet', () => {
  it('is undefined when the header is absent', () => {
    expect(parseTagSet('If-Match', undefined)).toBeUndefined();
  });

  it('reads * with surrounding space', () => {
    expect(parseTagSet('If-Match', ' * ')).toBe('*');
  });

  it('reads one strong tag', () => {
    expect(parseTagSet('If-Match', '"7"')).toEqual([{ weak: false, opaque: '7' }]);
  });

  it('reads a list of strong and weak tags with optional whitespace', () => {
    expect(parseTagSet('If-None-Match', '"1", W/"2" ,"abc",W/""')).toEqual([
      { weak: false, opaque: '1' },
      { weak: true, opaque: '2' },
      { weak: false, opaque: 'abc' },
      { weak: true, opaque: '' },
    ]);
  });

  it.each([
    ['1'],
    ['"1'],
    ['1"'],
    ['W/1'],
    ['w/"1"'],
    ['"a" "b"'],
    ['"1", 2'],
    ['*, "1"'],
    ['"a"b"'],
    [''],
    ['   '],
    [',"1"'],
  ])('refuses %j with BadRequestError naming the header', (value) => {
    const error = caught(() => parseTagSet('If-Match', value));
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as Error).message).toBe(
      'If-Match must be * or a list of entity tags such as "7"',
    );
  });

  it('accepts 20 tags and refuses 21', () => {
    const tags = (n: number) => Array.from({ length: n }, (_, i) => `"${i}"`).join(', ');
    expect(parseTagSet('If-None-Match', tags(20))).toHaveLength(20);
    const error = caught(() => parseTagSet('If-None-Match', tags(21)));
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as Error).message).toBe('If-None-Match names more than 20 tags');
  });

  it('parses again correctly after a refused value', () => {
    expect(() => parseTagSet('If-Match', '"1", x')).toThrow(BadRequestError);
    expect(parseTagSet('If-Match', '"5"')).toEqual([{ weak: false, opaque: '5' }]);
  });
});

describe('preconditionsOf', () => {
  it('reads both precondition headers', () => {
    expect(preconditionsOf(event({ 'if-match': '"3"', 'if-none-match': '*' }))).toEqual({
      ifMatch: [{ weak: false, opaque: '3' }],
      ifNoneMatch: '*',
    });
  });

  it('is empty without them', () => {
    expect(preconditionsOf(event({}))).toEqual({});
  });
});

describe('idempotencyOf', () => {
  const keyed = (headers: Record<string, string>) =>
    ({
      ...event({ 'idempotency-key': 'k1', ...headers }, '{}'),
      requestContext: { http: { method: 'PUT' } },
    }) as APIGatewayProxyEventV2;

  it('tells requests apart by their Lock-Token, and keeps the digest of requests without one', () => {
    const plain = idempotencyOf(keyed({}))?.fingerprint;
    const one = idempotencyOf(keyed({ 'lock-token': '1:aaaaaaaaaaaaaaaaaaaaaaaa' }))?.fingerprint;
    const two = idempotencyOf(keyed({ 'lock-token': '2:aaaaaaaaaaaaaaaaaaaaaaaa' }))?.fingerprint;
    expect(new Set([plain, one, two]).size).toBe(3);
    expect(plain).toBe(fingerprintOf('PUT', '/v1/notes/n1', '', '', '', '{}'));
  });
});

describe('jsonBody', () => {
  it('parses a JSON body of an accepted type', () => {
    expect(jsonBody(event({ 'content-type': 'application/json' }, '{"a":1}'), [JSON_TYPE])).toEqual(
      {
        mediaType: 'application/json',
        value: { a: 1 },
      },
    );
  });

  it.each([
    'application/json; charset=utf-8',
    'Application/JSON; Charset=UTF-8',
    'application/json;charset="utf-8"',
  ])('accepts %j', (type) => {
    expect(jsonBody(event({ 'content-type': type }, '[]'), [JSON_TYPE]).mediaType).toBe(JSON_TYPE);
  });

  it.each(['application/json; charset=iso-8859-1', 'text/plain', 'application/jsonx'])(
    'refuses %j with UnsupportedMediaTypeError listing what is accepted',
    (type) => {
      const error = caught(() => jsonBody(event({ 'content-type': type }, '{}'), [JSON_TYPE]));
      expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
      expect((error as UnsupportedMediaTypeError).accepted).toEqual([JSON_TYPE]);
      expect((error as Error).message).toBe(`${type} is not accepted here`);
    },
  );

  it('requires a Content-Type', () => {
    const error = caught(() => jsonBody(event({}, '{}'), [JSON_TYPE]));
    expect(error).toBeInstanceOf(UnsupportedMediaTypeError);
    expect((error as Error).message).toBe('a Content-Type is required');
  });

  it('tells the patch formats apart', () => {
    const accepted = [MERGE_PATCH_TYPE, JSON_PATCH_TYPE];
    expect(jsonBody(event({ 'content-type': JSON_PATCH_TYPE }, '[]'), accepted).mediaType).toBe(
      JSON_PATCH_TYPE,
    );
    expect(jsonBody(event({ 'content-type': MERGE_PATCH_TYPE }, '{}'), accepted).mediaType).toBe(
      MERGE_PATCH_TYPE,
    );
    expect(() => jsonBody(event({ 'content-type': JSON_TYPE }, '{}'), accepted)).toThrow(
      UnsupportedMediaTypeError,
    );
  });

  it('decodes a base64 body', () => {
    const body = Buffer.from('{"name":"Zoë"}', 'utf8').toString('base64');
    expect(jsonBody(event({ 'content-type': JSON_TYPE }, body, true), [JSON_TYPE]).value).toEqual({
      name: 'Zoë',
    });
  });

  it.each([[undefined], [''], ['  \n ']])('refuses an empty body %j', (body) => {
    const error = caught(() => jsonBody(event({ 'content-type': JSON_TYPE }, body), [JSON_TYPE]));
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as Error).message).toBe('a JSON body is required');
  });

  it('refuses malformed JSON as a bad request', () => {
    const error = caught(() =>
      jsonBody(event({ 'content-type': JSON_TYPE }, '{"a":'), [JSON_TYPE]),
    );
    expect(error).toBeInstanceOf(BadRequestError);
    expect((error as Error).message).toMatch(/^the body is not valid JSON: /);
  });

  it('refuses a body nested too deeply as a validation error', () => {
    const deep = `${'['.repeat(40)}${']'.repeat(40)}`;
    const error = caught(() => jsonBody(event({ 'content-type': JSON_TYPE }, deep), [JSON_TYPE]));
    expect(error).toBeInstanceOf(ValidationError);
  });

  it('answers 413 past 400 KiB, counting UTF-8 bytes', () => {
    const limit = 400 * 1024;
    const fits = `"${'a'.repeat(limit - 2)}"`;
    expect(() => jsonBody(event({ 'content-type': JSON_TYPE }, fits), [JSON_TYPE])).not.toThrow();
    // Fewer characters than the limit, but each é is two bytes.
    const wide = `"${'é'.repeat(limit / 2)}"`;
    expect(wide.length).toBeLessThan(limit);
    const error = caught(() => jsonBody(event({ 'content-type': JSON_TYPE }, wide), [JSON_TYPE]));
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect((error as PayloadTooLargeError).limitBytes).toBe(limit);
    expect((error as Error).message).toBe(`the body is ${limit + 2} bytes; the limit is ${limit}`);
  });

  it('measures a base64 body by its decoded size', () => {
    const limit = 400 * 1024;
    const raw = Buffer.from(`"${'a'.repeat(limit)}"`).toString('base64');
    const error = caught(() =>
      jsonBody(event({ 'content-type': JSON_TYPE }, raw, true), [JSON_TYPE]),
    );
    expect(error).toBeInstanceOf(PayloadTooLargeError);
    expect((error as Error).message).toBe(`the body is ${limit + 2} bytes; the limit is ${limit}`);
  });
});
