/**
 * fast-check generators of hostile HTTP requests, built from THE route
 * table: every route is fuzzed, and a route added to the table is fuzzed
 * without touching this file. Bodies that would be large are described, not
 * built, so counterexamples stay printable; `materialize` builds them.
 */
import fc from 'fast-check';
import type { Route } from '../../../functions/http/routes';

/** What the generators need to know about the API under test. */
export interface FuzzTargets {
  readonly routes: readonly Route[];
  /** Collections the configuration declares. */
  readonly collections: readonly string[];
  /** Ids of seeded documents (in every declared collection). */
  readonly seedIds: readonly string[];
  /** The version the seeded documents are at until a fuzzed write changes one. */
  readonly seedVersion: number;
  /** A seeded document with a 300 KB member `big`, in a collection without required preconditions. */
  readonly bigSeed: { readonly collection: string; readonly id: string };
  /** Generate the JSON Patch copies that amplify a document (a known defect while off). */
  readonly patchAmplification: boolean;
}

export type Auth =
  | { readonly kind: 'valid' }
  | { readonly kind: 'read-only' }
  | { readonly kind: 'none' }
  /** `%k` stands for the valid key. */
  | { readonly kind: 'template'; readonly template: string };

export type Body =
  | { readonly kind: 'text'; readonly text: string }
  /** `open` × depth, then `inner`, then `close` × depth. */
  | {
      readonly kind: 'nested';
      readonly open: string;
      readonly inner: string;
      readonly close: string;
      readonly depth: number;
    }
  /** A JSON object with one string member of `bytes` characters (or that many bytes of junk). */
  | { readonly kind: 'filler'; readonly bytes: number; readonly json: boolean };

export interface FuzzRequest {
  /** The generator that made it, for the counts printed at the end. */
  readonly label: string;
  readonly method: string;
  /** Raw request target, path and query, sent as is. */
  readonly path: string;
  readonly headers: readonly (readonly [string, string])[];
  readonly auth: Auth;
  readonly body?: Body;
  /** The document route's collection and id as the server decodes them, when they decode. */
  readonly target?: { readonly collection: string; readonly id?: string };
  /** A check that holds only for this kind of request (see the test's known-defect switches). */
  readonly check?: 'dot-segment-id-refused' | 'empty-list-elements-ignored';
}

/** Builds the bytes of a body. */
export const materialize = (body: Body): string => {
  switch (body.kind) {
    case 'text':
      return body.text;
    case 'nested':
      return body.open.repeat(body.depth) + body.inner + body.close.repeat(body.depth);
    case 'filler':
      return body.json ? `{"big":"${'x'.repeat(body.bytes)}"}` : '\x01'.repeat(body.bytes);
  }
};

/** Percent-encodes every byte of the UTF-8 form that is not unreserved (lone surrogates become U+FFFD). */
export const percentEncode = (text: string): string =>
  [...Buffer.from(text, 'utf8')]
    .map((byte) =>
      /[A-Za-z0-9._~-]/.test(String.fromCharCode(byte))
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`,
    )
    .join('');

/** What a header value may carry over node:http: tab, visible ASCII, space, and Latin-1. */
const headerSafe = (text: string): string => text.replace(/[^\t\x20-\x7e\x80-\xff]/g, '');

const decode = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
};

export const DOT_SEGMENTS = ['.', '..', '%2e', '%2E', '%2e%2e', '%2E%2E', '.%2e', '%2e.'];

/** Path segments that are anything but a plain name. */
const oddSegment = fc.oneof(
  fc.constantFrom(
    ...DOT_SEGMENTS,
    '...',
    '%2F',
    '..%2f',
    '%2f..',
    '%00',
    '%0a',
    '%0d%0a',
    '%7f',
    '%09',
    '%20',
    '+',
    '%c0%ae',
    '%ed%a0%80',
    '%ff',
    '%',
    '%zz',
    '%23a',
    '#a',
    '#a.b',
    ':v',
    '%3Av',
    'a.b',
    '[0]',
    '%5B0%5D',
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    'hasOwnProperty',
    '%24',
    '*',
    '~',
    'openapi.json',
    'openapi',
    'transactions',
    'null',
    'undefined',
    'ITEMS',
    'a'.repeat(128),
    'a'.repeat(129),
    'a'.repeat(3000),
  ),
  fc.string({ unit: 'binary', minLength: 1, maxLength: 12 }).map(percentEncode),
  fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 12 }).map(percentEncode),
  fc.string({ unit: 'grapheme', minLength: 1, maxLength: 6 }).map(percentEncode),
);

const idLike = fc.stringMatching(/^[A-Za-z0-9._~-]{1,40}$/);

const collectionSegment = (t: FuzzTargets) =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...t.collections) },
    { weight: 1, arbitrary: fc.stringMatching(/^[a-z][a-z0-9_-]{0,20}$/) },
    { weight: 2, arbitrary: oddSegment },
  );

const idSegment = (t: FuzzTargets) =>
  fc.oneof(
    { weight: 4, arbitrary: fc.constantFrom(...t.seedIds) },
    { weight: 2, arbitrary: idLike },
    { weight: 3, arbitrary: oddSegment },
  );

const limitValue = fc.oneof(
  fc.constantFrom('0', '-1', '1', '100', '101', '1e3', '99999999999999999999', 'NaN', '', '%20'),
  fc.constantFrom('0x10', '1.5', 'Infinity', '%EF%BC%91', '%00', '1%2C2', '10000', '0001'),
  fc.integer().map(String),
  fc.string({ unit: 'binary-ascii', maxLength: 20 }).map(percentEncode),
);

const base64url = (text: string) => Buffer.from(text).toString('base64url');

const cursorValue = (t: FuzzTargets) =>
  fc.oneof(
    fc.base64String({ maxLength: 120 }).map(encodeURIComponent),
    fc
      .oneof(fc.constantFrom(...t.seedIds), oddSegment.map(decode), fc.string(), fc.integer())
      .map((after) => base64url(JSON.stringify({ after }))),
    fc.jsonValue({ maxDepth: 2 }).map((value) => base64url(JSON.stringify(value))),
    fc.string({ unit: 'binary', maxLength: 30 }).map(percentEncode),
    fc.constantFrom('A'.repeat(8000), '%00', '..', base64url('{"after":"../../x"}')),
  );

const query = (t: FuzzTargets) =>
  fc
    .array(
      fc.oneof(
        limitValue.map((v) => `limit=${v}`),
        cursorValue(t).map((v) => `cursor=${v}`),
        fc
          .tuple(fc.string({ maxLength: 8 }), fc.string({ maxLength: 8 }))
          .map(([k, v]) => `${percentEncode(k)}=${percentEncode(v)}`),
        fc.constantFrom('limit', 'cursor', '&&', '=', 'limit=1&limit=2', '__proto__[x]=1'),
      ),
      { maxLength: 4 },
    )
    .map((pairs) => (pairs.length > 0 ? `?${pairs.join('&')}` : ''));

/** Entity tags and lists of them: valid, garbage, empty elements, hundreds of them. */
const tag = fc.oneof(
  fc.nat(4).map((n) => `"${n}"`),
  fc.nat(4).map((n) => `W/"${n}"`),
  fc.constant('*'),
);
const tagList = fc.oneof(
  tag,
  fc.array(tag, { minLength: 2, maxLength: 5 }).map((tags) => tags.join(', ')),
  fc
    .integer({ min: 21, max: 400 })
    .map((n) => Array.from({ length: n }, (_, i) => `"${i}"`).join(',')),
  fc
    .array(fc.oneof(tag, fc.constant(''), fc.constant(' ')), { minLength: 2, maxLength: 6 })
    .map((t) => t.join(',')),
  fc.constantFrom(
    '',
    ' ',
    '"',
    '""',
    'W/',
    'W/""',
    '"1',
    '1',
    '*, "1"',
    '"\xff"',
    'W/W/"1"',
    '"1" "2"',
  ),
  fc.constantFrom(
    `"${'a'.repeat(8000)}"`,
    '"-1"',
    '"1.0"',
    '"01"',
    '"1e3"',
    '"999999999999999999"',
  ),
  fc.string({ unit: 'binary-ascii', maxLength: 30 }).map(headerSafe),
);

const lockToken = fc.oneof(
  fc.tuple(fc.nat(5), fc.stringMatching(/^[A-Za-z0-9_-]{16,64}$/)).map(([f, id]) => `${f}:${id}`),
  fc.constantFrom('', '1:', ':abc', '0:aaaaaaaaaaaaaaaa', '999999999999999:aaaaaaaaaaaaaaaa'),
  fc.constantFrom(
    `1:${'a'.repeat(65)}`,
    `1:${'a'.repeat(9000)}`,
    '1:aaaaaaaaaaaaaaa!',
    '-1:aaaaaaaaaaaaaaaa',
  ),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }).map(headerSafe),
);

const idempotencyKey = fc.oneof(
  fc.constantFrom('k1', 'k2', 'k3', '"k1"', 'k 1', ''),
  fc.constantFrom(' ', '"', '""', '\xe9t\xe9', 'a'.repeat(255), 'a'.repeat(256), 'a'.repeat(9000)),
  fc.string({ unit: 'binary-ascii', maxLength: 40 }).map(headerSafe),
);

const MEDIA_TYPES = [
  'application/json',
  'application/merge-patch+json',
  'application/json-patch+json',
];
const contentType = fc.oneof(
  fc.constantFrom(...MEDIA_TYPES),
  fc.constantFrom(
    'application/json; charset=utf-8',
    'application/json;charset="UTF-8"',
    'APPLICATION/JSON',
    'application/json; charset=latin1',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/problem+json',
    '*/*',
    '',
    ';',
    'application/json;;;',
    'application/json; charset=',
    'application/json, text/plain',
  ),
  fc.string({ unit: 'binary-ascii', maxLength: 30 }).map(headerSafe),
);

const authorization = fc.oneof(
  { weight: 16, arbitrary: fc.constant<Auth>({ kind: 'valid' }) },
  { weight: 1, arbitrary: fc.constant<Auth>({ kind: 'read-only' }) },
  { weight: 1, arbitrary: fc.constant<Auth>({ kind: 'none' }) },
  {
    weight: 2,
    arbitrary: fc
      .oneof(
        fc.constantFrom('bearer %k', 'Bearer  %k  ', 'Bearer %k extra', 'Bearer\t%k', 'Basic %k'),
        fc.constantFrom('%k', 'Bearer %k%k', 'Bearer %k, Bearer %k', 'Bearer', 'Bearer ', ''),
        fc.string({ unit: 'binary-ascii', maxLength: 60 }).map((s) => `Bearer ${headerSafe(s)}`),
        fc.constant(`Bearer ${'x'.repeat(9000)}`),
      )
      .map((template): Auth => ({ kind: 'template', template })),
  },
);

/** JSON Pointers: valid, escaped, prototype-polluting, malformed. */
const pointer = fc.oneof(
  fc.constantFrom('', '/', '/n', '/log/-', '/log/0', '/__proto__', '/__proto__/polluted'),
  fc.constantFrom('/constructor/prototype/polluted', '/id', '/version', '/a~1b', '/~2', '/a~'),
  fc.constantFrom('n', '/big', '/-', '/log/99999999999', '/x/y/z', '/0'),
  fc
    .array(fc.string({ maxLength: 5 }), { maxLength: 4 })
    .map((tokens) => tokens.map((t) => `/${t}`).join('')),
);

const smallJson = fc.jsonValue({ maxDepth: 2 });

const patchOperation = fc.record(
  {
    op: fc.oneof(
      fc.constantFrom('add', 'remove', 'replace', 'move', 'copy', 'test'),
      fc.string({ maxLength: 6 }),
    ),
    path: pointer,
    from: pointer,
    value: smallJson,
  },
  { requiredKeys: ['op'] },
);

const jsonText = (value: unknown): Body => ({ kind: 'text', text: JSON.stringify(value) });

/** JSON Patch documents, including bombs that stay within bounds. */
const patchBody = fc.oneof(
  fc.array(patchOperation, { maxLength: 12 }).map(jsonText),
  fc
    .integer({ min: 1001, max: 1100 })
    .map((n) => jsonText(Array.from({ length: n }, () => ({ op: 'test', path: '/n', value: 1 })))),
  // Root copies double the document each time; 8 stay small on a small document.
  fc
    .integer({ min: 1, max: 8 })
    .map((n) =>
      jsonText(Array.from({ length: n }, (_, i) => ({ op: 'copy', from: '', path: `/x${i}` }))),
    ),
  fc.integer({ min: 2, max: 500 }).map((n) =>
    jsonText(
      Array.from({ length: n }, (_, i) => ({
        op: 'move',
        from: i % 2 ? '/b' : '/a',
        path: i % 2 ? '/a' : '/b',
      })),
    ),
  ),
  fc.integer({ min: 1, max: 300 }).map((n) =>
    jsonText(
      Array.from({ length: n }, (_, i) => ({
        op: 'add',
        path: `/k${i}`,
        value: 'v'.repeat(1000),
      })),
    ),
  ),
  fc
    .integer({ min: 1, max: 10 })
    .map((n) =>
      jsonText(Array.from({ length: n }, (_, i) => ({ op: 'copy', from: '/n', path: `/c${i}` }))),
    ),
);

/** Bodies of every sort: documents, broken JSON, non-objects, deep nesting, huge sizes. */
const body = (t: FuzzTargets): fc.Arbitrary<Body> =>
  fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .dictionary(fc.string({ maxLength: 10 }), smallJson, { maxKeys: 6 })
        .map(jsonText),
    },
    {
      weight: 3,
      arbitrary: fc
        .record(
          {
            id: fc.oneof(fc.constantFrom(...t.seedIds), idLike, oddSegment.map(decode), smallJson),
            version: fc.oneof(fc.nat(4), smallJson),
            n: fc.integer(),
          },
          { requiredKeys: [] },
        )
        .map(jsonText),
    },
    {
      weight: 3,
      arbitrary: fc.oneof(
        fc.json({ maxDepth: 2 }).map((s) => ({ kind: 'text' as const, text: s.slice(0, -1) })),
        fc.json({ maxDepth: 2 }).map((s) => ({ kind: 'text' as const, text: `${s}x` })),
        fc
          .constantFrom("{'a':1}", '{"a":NaN}', '{"a":Infinity}', '{"a":1,}', '[1,]', '{"a":01}')
          .map((text) => ({ kind: 'text' as const, text })),
        fc
          .constantFrom(
            '{"a":"\x00"}',
            '\ufeff{}',
            '{} {}',
            '',
            '   ',
            'null null',
            '{"a":1}/*c*/',
            '-',
            '"open',
          )
          .map((text) => ({ kind: 'text' as const, text })),
        fc
          .constantFrom(
            '{"__proto__":{"polluted":1}}',
            '{"constructor":{"prototype":{"polluted":1}}}',
            '{"a":"\\ud800"}',
            '{"a":1e999}',
            '{"a":-0}',
          )
          .map((text) => ({ kind: 'text' as const, text })),
        fc
          .string({ unit: 'binary', maxLength: 40 })
          .map((text) => ({ kind: 'text' as const, text })),
      ),
    },
    {
      weight: 2,
      arbitrary: smallJson
        .filter((v) => typeof v !== 'object' || v === null || Array.isArray(v))
        .map(jsonText),
    },
    {
      weight: 2,
      arbitrary: fc
        .record({
          open: fc.constantFrom('[', '{"a":'),
          inner: fc.constantFrom('1', 'null', '{}', '[]'),
          depth: fc.oneof(fc.integer({ min: 30, max: 40 }), fc.integer({ min: 41, max: 100_000 })),
        })
        .map(
          ({ open, inner, depth }): Body => ({
            kind: 'nested',
            open,
            inner,
            close: open === '[' ? ']' : '}',
            depth,
          }),
        ),
    },
    { weight: 4, arbitrary: patchBody },
    {
      weight: 1,
      arbitrary: fc
        .record({
          bytes: fc.oneof(
            fc.integer({ min: 340_000, max: 420_000 }),
            fc.integer({ min: 1_000_000, max: 1_600_000 }),
          ),
          json: fc.boolean(),
        })
        .map(({ bytes, json }): Body => ({ kind: 'filler', bytes, json })),
    },
  );

/** The media type a route expects for a body: a JSON Patch is an array, a merge patch is not. */
const fittingType = (route: Route, body: Body | undefined): string => {
  if (route.method !== 'PATCH') return 'application/json';
  const array = body?.kind === 'text' ? body.text.startsWith('[') : body?.kind === 'nested';
  return array ? 'application/json-patch+json' : 'application/merge-patch+json';
};

const fill = (route: Route, collection: string, id: string): string =>
  route.path.replace('{collection}', collection).replace('{id}', id);

/** The decoded collection and id a path targets, as the router will see them. */
const targetOf = (collection: string, id: string | undefined) => {
  const c = decode(collection);
  const i = id === undefined ? undefined : decode(id);
  if (c === undefined || (id !== undefined && i === undefined)) return undefined;
  return { collection: c, ...(i !== undefined ? { id: i } : {}) };
};

/** Any route of the table, with every part of the request fuzzed. */
export const routeRequest = (t: FuzzTargets): fc.Arbitrary<FuzzRequest> =>
  fc
    .record({
      route: fc.constantFrom(...t.routes),
      collection: collectionSegment(t),
      id: idSegment(t),
      query: fc.oneof(fc.constant(''), query(t)),
      auth: authorization,
      contentType: fc.option(contentType, { nil: undefined, freq: 3 }),
      ifMatch: fc.option(tagList, { nil: undefined, freq: 2 }),
      ifNoneMatch: fc.option(tagList, { nil: undefined, freq: 3 }),
      lockToken: fc.option(lockToken, { nil: undefined, freq: 6 }),
      idempotencyKey: fc.option(idempotencyKey, { nil: undefined, freq: 4 }),
      extra: fc.array(
        fc.tuple(
          fc.stringMatching(/^x-[a-z0-9-]{1,12}$/),
          fc.string({ maxLength: 20 }).map(headerSafe),
        ),
        { maxLength: 2 },
      ),
      body: fc.option(body(t), { nil: undefined, freq: 5 }),
      bodyOnRead: fc.nat(9).map((n) => n === 0),
      matchingType: fc.boolean(),
    })
    .map((r): FuzzRequest => {
      const hasId = r.route.path.includes('{id}');
      const writes = ['POST', 'PUT', 'PATCH'].includes(r.route.method);
      const headers: [string, string][] = [];
      // Half the time the media type fits the route, so requests get past the type check.
      const type = r.matchingType && writes ? fittingType(r.route, r.body) : r.contentType;
      if (type !== undefined) headers.push(['content-type', type]);
      if (r.ifMatch !== undefined) headers.push(['if-match', r.ifMatch]);
      if (r.ifNoneMatch !== undefined) headers.push(['if-none-match', r.ifNoneMatch]);
      if (r.lockToken !== undefined) headers.push(['lock-token', r.lockToken]);
      if (r.idempotencyKey !== undefined) headers.push(['idempotency-key', r.idempotencyKey]);
      headers.push(...r.extra);
      const target = r.route.auth ? targetOf(r.collection, hasId ? r.id : undefined) : undefined;
      // An undeclared collection is 404 whatever the id: that lookup comes first.
      const dot =
        hasId &&
        target?.id !== undefined &&
        ['.', '..'].includes(target.id) &&
        t.collections.includes(target.collection);
      return {
        label: `${r.route.method} ${r.route.path}`,
        method: r.route.method,
        path: fill(r.route, r.collection, r.id) + r.query,
        headers,
        auth: r.auth,
        ...(r.body !== undefined && (writes || r.bodyOnRead) ? { body: r.body } : {}),
        ...(target ? { target } : {}),
        ...(dot ? { check: 'dot-segment-id-refused' as const } : {}),
      };
    });

/** Reads and writes with a valid key on a dot-segment id (`.`, `..`, encoded or not). */
export const dotSegmentRequest = (t: FuzzTargets): fc.Arbitrary<FuzzRequest> =>
  fc
    .record({
      route: fc.constantFrom(...t.routes.filter((r) => r.path.includes('{id}'))),
      collection: fc.constantFrom(...t.collections),
      id: fc.constantFrom(...DOT_SEGMENTS),
    })
    .map(({ route, collection, id }): FuzzRequest => {
      const decoded = decode(id) ?? id;
      const writes = ['POST', 'PUT', 'PATCH'].includes(route.method);
      const headers: [string, string][] = writes
        ? [['content-type', fittingType(route, undefined)]]
        : [];
      if (route.method === 'PUT' && !route.path.endsWith('/lock'))
        headers.push(['if-none-match', '*']);
      if (route.method === 'PATCH' || (route.method === 'DELETE' && !route.path.endsWith('/lock')))
        headers.push(['if-match', '"1"']);
      return {
        label: `dot-segment id: ${route.method} ${route.path}`,
        method: route.method,
        path: fill(route, collection, id),
        headers,
        auth: { kind: 'valid' },
        ...(writes ? { body: jsonText({ n: 1 }) } : {}),
        target: { collection, id: decoded },
        check: 'dot-segment-id-refused',
      };
    });

/**
 * Reads of a seeded document whose If-Match / If-None-Match lists carry
 * empty elements, which RFC 9110 §5.6.1 says recipients ignore.
 */
export const emptyListElementRequest = (t: FuzzTargets): fc.Arbitrary<FuzzRequest> =>
  fc
    .record({
      collection: fc.constantFrom(...t.collections),
      id: fc.constantFrom(...t.seedIds),
      header: fc.constantFrom('if-match', 'if-none-match'),
      tags: fc.array(
        fc.oneof(
          fc.constant(`"${t.seedVersion}"`),
          fc.nat(9).map((n) => `"${n + 2}"`),
        ),
        { minLength: 1, maxLength: 3 },
      ),
      empties: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: 1, maxLength: 3 }),
    })
    .map(({ collection, id, header, tags, empties }): FuzzRequest => {
      const elements: string[] = [...tags];
      for (const at of empties) elements.splice(Math.min(at, elements.length), 0, '');
      return {
        label: `empty list elements in ${header}`,
        method: 'GET',
        path: `/v1/${collection}/${id}`,
        headers: [[header, elements.join(' ,')]],
        auth: { kind: 'valid' },
        target: { collection, id },
        check: 'empty-list-elements-ignored',
      };
    });

/**
 * JSON Patches that amplify a document: chains of root copies (each doubles
 * it) and many copies of a 300 KB member. Bounded by nothing but memory
 * until the copy-amplification fix lands.
 */
export const amplifyingPatchRequest = (t: FuzzTargets): fc.Arbitrary<FuzzRequest> =>
  fc
    .oneof(
      fc
        .integer({ min: 14, max: 24 })
        .map((n) =>
          Array.from({ length: n }, (_, i) => ({ op: 'copy', from: '', path: `/x${i}` })),
        ),
      fc
        .integer({ min: 50, max: 1000 })
        .map((n) =>
          Array.from({ length: n }, (_, i) => ({ op: 'copy', from: '/big', path: `/c${i}` })),
        ),
    )
    .map(
      (ops): FuzzRequest => ({
        label: `amplifying JSON Patch (${ops.length} copies)`,
        method: 'PATCH',
        path: `/v1/${t.bigSeed.collection}/${t.bigSeed.id}`,
        headers: [['content-type', 'application/json-patch+json']],
        auth: { kind: 'valid' },
        body: jsonText(ops),
        target: { collection: t.bigSeed.collection, id: t.bigSeed.id },
      }),
    );
