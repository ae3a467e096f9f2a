/**
 * The human documentation: the /docs page and the Redoc bundle it runs.
 * On Lambda the bundle sits next to the function's code (the stack copies it
 * there); locally it is read from the `redoc` package.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REDOC_BUNDLE } from '../docs-assets';
import type { RouteHandler } from './items';

/** Built on the first request: most instances of the public function never serve it. */
let page: string | undefined;
let script: string | undefined;

const redocScript = (): string => {
  if (script !== undefined) return script;
  const beside = join(dirname(fileURLToPath(import.meta.url)), REDOC_BUNDLE.file);
  try {
    script = readFileSync(beside, 'utf8');
  } catch {
    const require = createRequire(import.meta.url);
    script = readFileSync(require.resolve(REDOC_BUNDLE.packagePath), 'utf8');
  }
  return script;
};

/**
 * Everything the page runs and shows comes from the API itself (Redoc's
 * search worker is a blob: URL); this also keeps Redoc from loading its logo
 * from a CDN.
 */
const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self' 'unsafe-inline' blob:",
  'worker-src blob:',
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "font-src 'self' data:",
  "connect-src 'self'",
].join('; ');

export const getDocs: RouteHandler = async () => {
  page ??= (await import('../docs-page')).docsPage();
  return {
    statusCode: 200,
    headers: {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'public, max-age=300',
      'content-security-policy': CONTENT_SECURITY_POLICY,
    },
    body: page,
  };
};

export const getDocsScript: RouteHandler = async () => ({
  statusCode: 200,
  headers: {
    'content-type': 'text/javascript; charset=utf-8',
    'cache-control': 'public, max-age=86400',
  },
  body: redocScript(),
});
