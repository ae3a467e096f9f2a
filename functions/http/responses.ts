import type { APIGatewayProxyStructuredResultV2 } from 'aws-lambda';
import type { WriteReport } from '../core/conflict-policy';
import { type ItemView, viewText } from '../core/items-model';

export type Response = APIGatewayProxyStructuredResultV2;

/** Where a document lives, as a path the API answers. */
export const documentPath = (collection: string, id: string): string =>
  `/v1/${encodeURIComponent(collection)}/${encodeURIComponent(id)}`;

export const jsonResponse = (
  statusCode: number,
  body: unknown,
  headers: Record<string, string> = {},
): Response => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...headers },
  body: JSON.stringify(body),
});

/** `ETag` and, when the version's write time is known, `Last-Modified` (an HTTP-date). */
const validators = (item: ItemView): Record<string, string> => {
  const modified = item.updatedAt ? new Date(item.updatedAt) : undefined;
  return {
    etag: item.etag,
    ...(modified && !Number.isNaN(modified.getTime())
      ? { 'last-modified': modified.toUTCString() }
      : {}),
  };
};

/** A document with its validators; writes and reads answer the same way. */
export const documentResponse = (
  statusCode: number,
  item: ItemView,
  headers: Record<string, string> = {},
): Response => ({
  statusCode,
  headers: { 'content-type': 'application/json', ...validators(item), ...headers },
  body: viewText(item),
});

/** `Idempotent-Replayed: true` on an answer that is the stored first answer. */
export const replayHeaders = (replayed: boolean | undefined): Record<string, string> =>
  replayed ? { 'idempotent-replayed': 'true' } : {};

/** RFC 9110 §15.4.5: a 304 carries the headers a 200 would, and no body. */
export const notModified = (item: ItemView): Response => ({
  statusCode: 304,
  headers: validators(item),
  body: '',
});

export const noContent = (headers: Record<string, string> = {}): Response => ({
  statusCode: 204,
  headers,
  body: '',
});

/**
 * What the collection's conflict policy did with a stale write, as RFC 8941
 * structured fields: `Concord-Write-Outcome: merged;base=3;current=5` (or
 * `overwrote`), and for a merge the field rules that settled clashes,
 * `Concord-Merge-Rules: "/views";rule=counter, "/tags";rule=union`.
 */
export const reportHeaders = (report: WriteReport | undefined): Record<string, string> => {
  if (!report) return {};
  const outcome = `${report.outcome};base=${report.base};current=${report.current}`;
  const rules =
    report.outcome === 'merged' && report.rules.length > 0
      ? report.rules.map(({ path, rule }) => `${JSON.stringify(path)};rule=${rule}`).join(', ')
      : undefined;
  return {
    'concord-write-outcome': outcome,
    ...(rules !== undefined ? { 'concord-merge-rules': rules } : {}),
  };
};
