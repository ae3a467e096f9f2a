/**
 * How the Lambda code is bundled, as plain data: the stack hands it to
 * NodejsFunction, and a test builds the same bundle with esbuild and runs it
 * against DynamoDB Local, so what ships is what was tested.
 */
export const LAMBDA_BUNDLE = {
  minify: true,
  sourceMap: true,
  target: 'node24',
  platform: 'node',
  mainFields: ['module', 'main'],
  // CommonJS dependencies call require(), which an ES module does not define.
  banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
} as const;
