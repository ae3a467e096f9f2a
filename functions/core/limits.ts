/** Documented input limits. Anything outside them is refused with a 4xx before any write. */

/** Ids: URL-safe characters (RFC 3986 unreserved), 1–128 long. ULIDs fit. */
export const ID_PATTERN = /^[A-Za-z0-9._~-]{1,128}$/;
/** Collection names: lowercase letter first, then lowercase letters, digits, `-`, `_`; 1–64 long. */
export const COLLECTION_PATTERN = /^[a-z][a-z0-9_-]{0,63}$/;
/** Names later routes live under; they can never be collections. */
export const RESERVED_COLLECTIONS = new Set([
  'transactions',
  'conflicts',
  'subscriptions',
  'openapi.json',
  'openapi',
]);
/**
 * Largest stored document, in UTF-8 bytes of its JSON. Leaves room in
 * DynamoDB's 400 KB item limit for keys and metadata.
 */
export const MAX_DOCUMENT_BYTES = 350_000;
/** Deepest nesting of objects and arrays in a document. */
export const MAX_DEPTH = 32;
/** Most operations in one JSON Patch. */
export const MAX_PATCH_OPERATIONS = 1_000;
export const DEFAULT_PAGE_SIZE = 50;
export const MAX_PAGE_SIZE = 100;
/** Largest request body: what could still fit one 400 KB item. */
export const MAX_REQUEST_BYTES = 400 * 1024;
