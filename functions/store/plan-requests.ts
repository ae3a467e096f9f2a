/**
 * Pure builders of the requests that carry plans and snapshots. Every
 * conditional part asks for ALL_OLD on a failed condition, so a refusal
 * carries the records that explain it.
 */
import type { GetCommandInput, TransactGetCommandInput } from '@aws-sdk/lib-dynamodb';
import type { ItemKey } from '../core/items-model';
import type { PlanPart, WritePlan } from '../core/write-plan';
import { idempotencyKey, idempotencyPut } from './idempotency-requests';
import { buildGetItem, documentUpdate, itemKey, leaseUpdateOf } from './item-requests';
import { type PlanRequest, requestOf, type WriteAction } from './transact-items';

/** The wire action of one part. */
export const actionOf = (tableName: string, part: PlanPart): WriteAction => {
  switch (part.kind) {
    case 'document':
      return { Update: documentUpdate(tableName, part) };
    case 'lease':
      return { Update: leaseUpdateOf(tableName, part) };
    case 'idempotency':
      return { Put: idempotencyPut(tableName, part) };
  }
};

/** The one request that sends a plan, its actions in the order of its parts. */
export const buildPlanRequest = (tableName: string, plan: WritePlan): PlanRequest =>
  requestOf(plan.parts.map((part) => actionOf(tableName, part)));

/**
 * A document alone is one consistent GetItem; with an idempotency record it
 * is one TransactGetItems, isolated from transactions in flight, so it never
 * shows a keyed write's document without that write's record.
 */
export const buildSnapshot = (
  tableName: string,
  key: ItemKey,
  tenantKeyHash?: string,
):
  | { kind: 'get'; input: GetCommandInput }
  | { kind: 'transaction'; input: TransactGetCommandInput } =>
  tenantKeyHash === undefined
    ? { kind: 'get', input: buildGetItem(tableName, key) }
    : {
        kind: 'transaction',
        input: {
          TransactItems: [
            { Get: { TableName: tableName, Key: itemKey(key) } },
            { Get: { TableName: tableName, Key: idempotencyKey(key.tenant, tenantKeyHash) } },
          ],
        },
      };
