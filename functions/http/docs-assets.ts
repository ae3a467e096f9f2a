/**
 * Redoc's standalone bundle, which the /docs page runs: where it is in the
 * `redoc` package, and its file name beside the Lambda bundle, where the
 * stack copies it for the public function.
 */
export const REDOC_BUNDLE = {
  file: 'redoc.standalone.js',
  packagePath: 'redoc/bundles/redoc.standalone.js',
} as const;
