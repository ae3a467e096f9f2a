/**
 * Powertools (its logger and metrics are a sixth of a function's bundle) is
 * bundled into a file of its own beside the function's index.mjs, which the
 * function imports with its first request: a cold start neither parses nor
 * runs it. Plain data, shared by the functions and the stack.
 */
export const OBSERVER_BUNDLE = {
  /** The module bundled into the file, relative to the project root. */
  entry: 'functions/http/powertools-observer.ts',
  /** Its file name beside the function's bundle. */
  file: 'powertools-observer.mjs',
} as const;
