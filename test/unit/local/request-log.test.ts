import { describe, expect, it } from 'vitest';
import type { RequestRecord } from '../../../functions/http/observability';
import { formatRequestLine, requestLogFromEnv } from '../../../local/request-log';

const record: RequestRecord = {
  requestId: 'r1',
  route: 'PUT /v1/{collection}/{id}',
  method: 'PUT',
  path: '/v1/items/order-1',
  status: 409,
  latencyMs: 6.1,
  tenant: 'dev',
  keyId: 'k1',
  collection: 'items',
  problem: 'version-mismatch',
  conflict: {
    type: 'version-mismatch',
    collection: 'items',
    id: 'order-1',
    currentVersion: 2,
    ifMatch: '"1"',
  },
  replayed: false,
  dynamodb: { calls: 1, ms: 2.3, throttles: 0 },
};

describe('the npm start request log', () => {
  it('prints one readable line with the outcome, the conflict versions and the database time', () => {
    expect(formatRequestLine(record)).toBe(
      'PUT /v1/items/order-1 409 version-mismatch (at v2, If-Match "1") 6.1 ms, 1 DynamoDB call 2.3 ms',
    );
    const ok: RequestRecord = {
      ...record,
      status: 201,
      method: 'POST',
      path: '/v1/items',
      problem: undefined,
      conflict: undefined,
      replayed: true,
      dynamodb: { calls: 2, ms: 4, throttles: 0 },
    } as RequestRecord;
    expect(formatRequestLine(ok)).toBe('POST /v1/items 201 replayed 6.1 ms, 2 DynamoDB calls 4 ms');
  });

  it('logs lines by default, nothing when off, and refuses an unknown mode', () => {
    const lines: string[] = [];
    requestLogFromEnv(undefined, (line) => lines.push(line))?.(record);
    expect(lines).toHaveLength(1);
    expect(requestLogFromEnv('off')).toBeUndefined();
    expect(typeof requestLogFromEnv('json')).toBe('function');
    expect(() => requestLogFromEnv('loud')).toThrow(
      /CONCORD_REQUEST_LOG must be line, json or off/,
    );
  });
});
