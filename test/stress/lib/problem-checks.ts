/**
 * What every answer of the API must satisfy, whatever was asked: no 5xx for
 * a client's mistake, and every error an RFC 9457 problem that the one error
 * mapper made.
 */

export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
const REQUIRED_MEMBERS = ['type', 'title', 'status', 'detail', 'instance'] as const;
/** Things no answer body may show: stack frames, AWS error names, expression internals. */
const LEAKS =
  /\n\s+at |amazonaws|ConditionExpression|ConditionalCheckFailed|ValidationException|ResourceNotFound|ProvisionedThroughput|ThrottlingException|TransactionCanceled|InternalServerError|ECONNRESET|TimeoutError/;

/**
 * What is wrong with a 4xx/5xx answer as a problem document; empty when it
 * is fine. A HEAD answer carries no body, so only its content type counts.
 */
export const problemIssues = (
  status: number,
  headers: Readonly<Record<string, string | undefined>>,
  body: Buffer | string,
  method: string,
): string[] => {
  const issues: string[] = [];
  const contentType = headers['content-type'] ?? '';
  if (contentType.split(';')[0]?.trim() !== PROBLEM_CONTENT_TYPE) {
    issues.push(`content-type is ${JSON.stringify(contentType)}, not ${PROBLEM_CONTENT_TYPE}`);
  }
  if (method === 'HEAD') return issues;
  const text = body.toString();
  let problem: Record<string, unknown>;
  try {
    problem = JSON.parse(text) as Record<string, unknown>;
  } catch {
    return [...issues, `body is not JSON: ${JSON.stringify(text.slice(0, 120))}`];
  }
  if (typeof problem !== 'object' || problem === null) return [...issues, 'body is not an object'];
  for (const member of REQUIRED_MEMBERS) {
    if (!(member in problem)) issues.push(`problem has no "${member}"`);
  }
  if (problem.status !== status) issues.push(`problem status ${problem.status} ≠ HTTP ${status}`);
  if (LEAKS.test(text)) issues.push(`body shows internals: ${text.slice(0, 200)}`);
  return issues;
};
