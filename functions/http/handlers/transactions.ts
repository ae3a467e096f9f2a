/** The transaction handler: `POST /v1/transactions`. */
import type { TransactionResult } from '../../core/transaction-model';
import { principalOf } from '../admission';
import { idempotencyOf, JSON_TYPE, jsonBody } from '../request';
import { jsonResponse, replayHeaders } from '../responses';
import { formatResult, parseTransactionBody } from '../transaction-body';
import type { RouteHandler } from './items';

const resultsResponse = (result: TransactionResult) =>
  jsonResponse(200, { results: result.results.map(formatResult) }, replayHeaders(result.replayed));

export const runTransaction: RouteHandler = async (event, { transactions, tenant }) => {
  const { value } = jsonBody(event, [JSON_TYPE]);
  const result = await transactions.run(tenant, parseTransactionBody(value), {
    idempotency: idempotencyOf(event),
    keyId: principalOf(event)?.keyId,
  });
  return resultsResponse(result);
};
