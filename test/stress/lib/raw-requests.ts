/**
 * Requests that only a raw socket can send: broken framing, header syntax
 * Node's HTTP parser refuses, control bytes, oversized heads, CONNECT.
 * Each is complete (or broken beyond repair) and asks the server to close,
 * so an answer or a close is due at once.
 */
import fc from 'fast-check';
import type { Route } from '../../../functions/http/routes';

export interface RawRequest {
  readonly label: string;
  /** `%a` is replaced by the Authorization header line (or nothing). */
  readonly text: string;
  readonly auth: boolean;
  /** The document route's collection and id, for telling which seeds a request may change. */
  readonly target?: { readonly collection: string; readonly id?: string };
}

type Build = (path: string, method: string) => string;

const H = 'Host: 127.0.0.1\r\n%aConnection: close\r\n';
const json = 'Content-Type: application/json\r\n';

/** Each case: a label and how to write it for a route's method and path. */
const CASES: readonly (readonly [string, Build])[] = [
  [
    'Content-Length not a number',
    (p) => `POST ${p} HTTP/1.1\r\n${H}${json}Content-Length: abc\r\n\r\n{}`,
  ],
  [
    'negative Content-Length',
    (p) => `POST ${p} HTTP/1.1\r\n${H}${json}Content-Length: -1\r\n\r\n{}`,
  ],
  [
    'two different Content-Lengths',
    (p) => `PUT ${p} HTTP/1.1\r\n${H}${json}Content-Length: 2\r\nContent-Length: 3\r\n\r\n{}`,
  ],
  [
    'Content-Length overflow',
    (p) => `POST ${p} HTTP/1.1\r\n${H}${json}Content-Length: 99999999999999999999\r\n\r\n{}`,
  ],
  [
    'Content-Length and Transfer-Encoding',
    (p) =>
      `POST ${p} HTTP/1.1\r\n${H}${json}Content-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n`,
  ],
  [
    'chunk size not hex',
    (p) =>
      `POST ${p} HTTP/1.1\r\n${H}${json}Transfer-Encoding: chunked\r\n\r\nzz\r\n{}\r\n0\r\n\r\n`,
  ],
  [
    'chunk longer than its size',
    (p) =>
      `PATCH ${p} HTTP/1.1\r\n${H}${json}Transfer-Encoding: chunked\r\n\r\n2\r\n{"a":1}\r\n0\r\n\r\n`,
  ],
  [
    'chunk size overflow',
    (p) =>
      `POST ${p} HTTP/1.1\r\n${H}${json}Transfer-Encoding: chunked\r\n\r\nfffffffffffffffffff\r\n{}\r\n0\r\n\r\n`,
  ],
  [
    'unknown Transfer-Encoding',
    (p) => `POST ${p} HTTP/1.1\r\n${H}${json}Transfer-Encoding: bogus\r\n\r\n{}`,
  ],
  ['header without colon', (p, m) => `${m} ${p} HTTP/1.1\r\n${H}NoColonHere\r\n\r\n`],
  ['space before colon', (p, m) => `${m} ${p} HTTP/1.1\r\nHost : x\r\n%aConnection: close\r\n\r\n`],
  ['empty header name', (p, m) => `${m} ${p} HTTP/1.1\r\n${H}: value\r\n\r\n`],
  ['header name with a separator', (p, m) => `${m} ${p} HTTP/1.1\r\n${H}X(y): value\r\n\r\n`],
  ['NUL in a header value', (p, m) => `${m} ${p} HTTP/1.1\r\n${H}X-A: a\x00b\r\n\r\n`],
  [
    'control byte in a header value',
    (p, m) => `${m} ${p} HTTP/1.1\r\n${H}If-Match: "1\x01"\r\n\r\n`,
  ],
  ['DEL in a header value', (p, m) => `${m} ${p} HTTP/1.1\r\n${H}Idempotency-Key: a\x7fb\r\n\r\n`],
  ['obs-fold continuation line', (p, m) => `${m} ${p} HTTP/1.1\r\n${H}X-A: a\r\n b\r\n\r\n`],
  ['bare CR in the head', (p, m) => `${m} ${p} HTTP/1.1\r\n${H}X-A: a\rb\r\n\r\n`],
  ['bare LF line endings', (p, m) => `${m} ${p} HTTP/1.1\n${H.replaceAll('\r\n', '\n')}\n`],
  ['oversized header', (p, m) => `${m} ${p} HTTP/1.1\r\n${H}X-Big: ${'a'.repeat(20_000)}\r\n\r\n`],
  ['thousands of headers', (p, m) => `${m} ${p} HTTP/1.1\r\n${H}${'X-H: v\r\n'.repeat(3000)}\r\n`],
  ['oversized request line', (p, m) => `${m} ${p}/${'a'.repeat(20_000)} HTTP/1.1\r\n${H}\r\n`],
  ['Expect: 999-nope', (p, m) => `${m} ${p} HTTP/1.1\r\n${H}Expect: 999-nope\r\n\r\n`],
  [
    'Expect: 100-continue with its body',
    (p) => `POST ${p} HTTP/1.1\r\n${H}${json}Expect: 100-continue\r\nContent-Length: 2\r\n\r\n{}`,
  ],
  ['CONNECT', () => `CONNECT 127.0.0.1:1 HTTP/1.1\r\n${H}\r\n`],
  ['unknown method', (p) => `FOO ${p} HTTP/1.1\r\n${H}\r\n`],
  ['lower-case method', (p, m) => `${m.toLowerCase()} ${p} HTTP/1.1\r\n${H}\r\n`],
  ['HTTP/2 preface', () => 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
  ['HTTP/9.9', (p, m) => `${m} ${p} HTTP/9.9\r\n${H}\r\n`],
  ['malformed version', (p, m) => `${m} ${p} HTTP/1.1x\r\n${H}\r\n`],
  ['no version', (p, m) => `${m} ${p}\r\n\r\n`],
  ['absolute-form target', (p, m) => `${m} http://127.0.0.1${p} HTTP/1.1\r\n${H}\r\n`],
  ['asterisk target', (_p, m) => `${m} * HTTP/1.1\r\n${H}\r\n`],
  ['NUL in the path', (p, m) => `${m} ${p}\x00x HTTP/1.1\r\n${H}\r\n`],
  ['space in the path', (p, m) => `${m} ${p} x HTTP/1.1\r\n${H}\r\n`],
  ['raw non-ASCII bytes in the path', (p, m) => `${m} ${p}\xff\xfe HTTP/1.1\r\n${H}\r\n`],
  ['fragment in the target', (p, m) => `${m} ${p}#frag HTTP/1.1\r\n${H}\r\n`],
  ['missing Host', (p, m) => `${m} ${p} HTTP/1.1\r\n%aConnection: close\r\n\r\n`],
  ['two Host headers', (p, m) => `${m} ${p} HTTP/1.1\r\nHost: a\r\n${H}\r\n`],
  [
    'request smuggling (CL.TE)',
    (p) =>
      `POST ${p} HTTP/1.1\r\n${H}${json}Content-Length: 6\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\nGET /v1/openapi.json HTTP/1.1\r\nHost: x\r\n\r\n`,
  ],
];

/** Raw requests against the routes of the table, with and without a valid key. */
export const rawRequest = (
  routes: readonly Route[],
  collections: readonly string[],
  ids: readonly string[],
) =>
  fc.oneof(
    {
      weight: 9,
      arbitrary: fc
        .record({
          which: fc.nat(CASES.length - 1),
          route: fc.constantFrom(...routes),
          collection: fc.constantFrom(...collections),
          id: fc.constantFrom(...ids),
          auth: fc.boolean(),
        })
        .map(({ which, route, collection, id, auth }): RawRequest => {
          const [label, build] = CASES[which] as (typeof CASES)[number];
          const path = route.path.replace('{collection}', collection).replace('{id}', id);
          const target = { collection, ...(route.path.includes('{id}') ? { id } : {}) };
          return { label: `raw: ${label}`, text: build(path, route.method), auth, target };
        }),
    },
    {
      weight: 1,
      arbitrary: fc.uint8Array({ minLength: 1, maxLength: 200 }).map(
        (bytes): RawRequest => ({
          label: 'raw: random bytes',
          text: `${Buffer.from(bytes).toString('latin1')}\r\n\r\n`,
          auth: false,
        }),
      ),
    },
  );

/** The bytes of a raw request, with the key's Authorization line where it asks for one. */
export const rawBytes = (request: RawRequest, apiKey: string): Buffer =>
  Buffer.from(
    request.text.replace('%a', request.auth ? `Authorization: Bearer ${apiKey}\r\n` : ''),
    'latin1',
  );
