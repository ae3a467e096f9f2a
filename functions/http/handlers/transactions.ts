/**
 * Transaction handlers: the one-shot `POST /v1/transactions`, and the
 * staged transaction's begin, read, add, commit and abort.
 */

import { ValidationError, type ValidationIssue } from '../../core/errors';
import type { StagedView } from '../../core/staged-transactions';
import type { TransactionResult } from '../../core/transaction-model';
import { principalOf } from '../admission';
import { idempotencyOf, JSON_TYPE, jsonBody, pathParam } from '../request';
import { jsonResponse, noContent, replayHeaders } from '../responses';
import {
  formatOperation,
  formatResult,
  parseOperation,
  parseTransactionBody,
} from '../transaction-body';
import type { RouteHandler } from './items';
import { ttlOf } from './locks';

const STAGED_PATH = '/v1/transactions/staged';

const resultsResponse = (result: TransactionResult) =>
  jsonResponse(200, { results: result.results.map(formatResult) }, replayHeaders(result.replayed));

const stagedBody = (view: StagedView) => ({
  id: view.id,
  state: view.state,
  expiresAt: new Date(view.expiresAt).toISOString(),
  operations: view.operations.map(formatOperation),
  ...(view.results ? { results: view.results.map(formatResult) } : {}),
});

export const runTransaction: RouteHandler = async (event, { transactions, tenant }) => {
  const { value } = jsonBody(event, [JSON_TYPE]);
  const { operations, issues } = parseTransactionBody(value);
  const result = await transactions.run(tenant, operations, {
    unreadable: issues,
    idempotency: idempotencyOf(event),
    keyId: principalOf(event)?.keyId,
  });
  return resultsResponse(result);
};

export const beginStaged: RouteHandler = async (event, { staged, tenant }) => {
  const view = await staged.begin(tenant, ttlOf(event));
  const location = `${STAGED_PATH}/${encodeURIComponent(view.id)}`;
  return jsonResponse(201, stagedBody(view), { location });
};

export const getStaged: RouteHandler = async (event, { stagedReads, tenant }) =>
  jsonResponse(200, stagedBody(await stagedReads.get(tenant, pathParam(event, 'txId'))));

export const addStaged: RouteHandler = async (event, { staged, tenant }) => {
  const { value } = jsonBody(event, [JSON_TYPE]);
  const issues: ValidationIssue[] = [];
  const operation = parseOperation(value, '', issues);
  if (!operation) throw new ValidationError('the operation is not valid', issues);
  const added = await staged.add(tenant, pathParam(event, 'txId'), operation);
  return jsonResponse(200, { index: added.index, operation: formatOperation(added.operation) });
};

export const commitStaged: RouteHandler = async (event, { staged, tenant }) =>
  resultsResponse(
    await staged.commit(tenant, pathParam(event, 'txId'), { keyId: principalOf(event)?.keyId }),
  );

export const abortStaged: RouteHandler = async (event, { staged, tenant }) => {
  await staged.abort(tenant, pathParam(event, 'txId'));
  return noContent();
};
