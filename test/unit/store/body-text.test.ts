/**
 * A written body is serialized once: its size checks, the document's record
 * and its history entry all use the same text, and a body read from the
 * table keeps the text it was read from.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DEFAULT_HISTORY } from '../../../functions/core/config';
import { toStoredBody } from '../../../functions/core/documents';
import { historyParts } from '../../../functions/core/history';
import { checkPlan, type DocumentPart } from '../../../functions/core/write-plan';
import { buildPlanRequest } from '../../../functions/store/plan-requests';
import { toStoredItem } from '../../../functions/store/records';

afterEach(() => {
  vi.restoreAllMocks();
});

const write = (body: DocumentPart['body']): DocumentPart => ({
  kind: 'document',
  key: { tenant: 't', collection: 'items', id: 'a' },
  body,
  condition: { expectedVersion: 3 },
  at: '2026-01-01T00:00:00.000Z',
});

describe('the JSON text of a written body', () => {
  it('is made once for the size checks, the record and the history entry', () => {
    const stringify = vi.spyOn(JSON, 'stringify');
    const body = toStoredBody({ id: 'a', lines: [{ sku: 'x', qty: 2 }], note: 'é "quoted"' });
    const document = write(body);
    const plan = checkPlan({
      parts: [document, ...historyParts(document, 'replace', DEFAULT_HISTORY, undefined)],
    });
    const request = buildPlanRequest('table', plan);
    expect(stringify.mock.calls.filter(([value]) => value === body)).toHaveLength(1);
    stringify.mockRestore();
    if (request.kind !== 'transaction') throw new Error('expected a transaction');
    const [update, put] = request.input.TransactItems ?? [];
    const text = JSON.stringify(body);
    expect(update?.Update?.ExpressionAttributeValues?.[':body']).toBe(text);
    expect(put?.Put?.Item?.body).toBe(text);
  });

  it('is the text it was read from, for a body read from the table', () => {
    const text = JSON.stringify({ n: 1, nested: { a: [1, 2, 'three'] } });
    const item = toStoredItem({ id: 'a', version: 2, state: 'live', body: text, updatedAt: 'x' });
    const stringify = vi.spyOn(JSON, 'stringify');
    const document = write(item.body);
    const request = buildPlanRequest('table', checkPlan({ parts: [document] }));
    expect(stringify.mock.calls.filter(([value]) => value === item.body)).toHaveLength(0);
    if (request.kind !== 'update') throw new Error('expected an update');
    expect(request.input.ExpressionAttributeValues?.[':body']).toBe(text);
  });
});
