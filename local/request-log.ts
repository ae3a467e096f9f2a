/**
 * The request log of `npm start`: one readable line per request by default,
 * the JSON lines and metrics the functions write on AWS with
 * `CONCORD_REQUEST_LOG=json`, nothing with `off`.
 */
import { createCloudWatchObserver } from '../functions/http/cloudwatch-observer';
import type { RequestObserver, RequestRecord } from '../functions/http/observability';

export const REQUEST_LOG_ENV = 'CONCORD_REQUEST_LOG';

/** e.g. `PUT /v1/items/order-1 409 version-mismatch (at v2, If-Match "1") 6.1 ms, 1 DynamoDB call 2.3 ms` */
export const formatRequestLine = (record: RequestRecord): string => {
  const { conflict, dynamodb: db } = record;
  const outcome = [
    String(record.status),
    ...(record.problem ? [record.problem] : []),
    ...(conflict?.currentVersion !== undefined || conflict?.ifMatch
      ? [
          `(${[
            ...(conflict.currentVersion !== undefined ? [`at v${conflict.currentVersion}`] : []),
            ...(conflict.ifMatch ? [`If-Match ${conflict.ifMatch}`] : []),
          ].join(', ')})`,
        ]
      : []),
    ...(record.replayed ? ['replayed'] : []),
  ].join(' ');
  const calls = `${db.calls} DynamoDB call${db.calls === 1 ? '' : 's'} ${db.ms} ms`;
  return `${record.method} ${record.path} ${outcome} ${record.latencyMs} ms, ${calls}`;
};

/** The observer `CONCORD_REQUEST_LOG` asks for (`line`, `json` or `off`). */
export const requestLogFromEnv = (
  value: string | undefined = process.env[REQUEST_LOG_ENV],
  write: (line: string) => void = (line) => console.log(line),
): RequestObserver | undefined => {
  const mode = (value ?? 'line').trim().toLowerCase();
  if (mode === 'off') return undefined;
  if (mode === 'json') return createCloudWatchObserver();
  if (mode !== 'line') {
    throw new Error(`${REQUEST_LOG_ENV} must be line, json or off, got "${value}"`);
  }
  return (record) => write(formatRequestLine(record));
};
