/**
 * Pure builders of the requests that carry plans and snapshots. Every
 * conditional part asks for ALL_OLD on a failed condition, so a refusal
 * carries the records that explain it.
 */
import type { GetCommandInput, TransactGetCommandInput } from '@aws-sdk/lib-dynamodb';
import type { ItemKey, SnapshotWants } from '../core/items-model';
import type { PlanPart, WritePlan } from '../core/write-plan';
import { documentCheck } from './check-requests';
import { conflictResolveUpdate } from './conflict-requests';
import { historyDelete, historyKey, historyPut } from './history-requests';
import { idempotencyKey, idempotencyPut } from './idempotency-requests';
import { buildGetItem, documentUpdate, itemKey, leaseUpdateOf } from './item-requests';
import { stagedCloseUpdate } from './staged-requests';
import { type PlanRequest, requestOf, type WriteAction } from './transact-items';
import { guardDelete, guardPut } from './unique-requests';

/** The wire action of one part. */
export const actionOf = (tableName: string, part: PlanPart): WriteAction => {
  switch (part.kind) {
    case 'document':
      return { Update: documentUpdate(tableName, part) };
    case 'lease':
      return { Update: leaseUpdateOf(tableName, part) };
    case 'history':
      return { Put: historyPut(tableName, part) };
    case 'history-drop':
      return { Delete: historyDelete(tableName, part) };
    case 'unique-claim':
      return { Put: guardPut(tableName, part) };
    case 'unique-release':
      return { Delete: guardDelete(tableName, part) };
    case 'idempotency':
      return { Put: idempotencyPut(tableName, part) };
    case 'check':
      return { ConditionCheck: documentCheck(tableName, part) };
    case 'staged-close':
      return { Update: stagedCloseUpdate(tableName, part) };
    case 'conflict-resolve':
      return { Update: conflictResolveUpdate(tableName, part) };
  }
};

/** The one request that sends a plan, its actions in the order of its parts. */
export const buildPlanRequest = (tableName: string, plan: WritePlan): PlanRequest =>
  requestOf(
    plan.parts.map((part) => actionOf(tableName, part)),
    plan.requestToken,
  );

/**
 * A document alone is one consistent GetItem; with other records it is one
 * TransactGetItems (document first, then the history entry, then the
 * idempotency record), isolated from transactions in flight, so it never
 * shows a keyed write's document without that write's record.
 */
export const buildSnapshot = (
  tableName: string,
  key: ItemKey,
  wants: SnapshotWants = {},
):
  | { kind: 'get'; input: GetCommandInput }
  | { kind: 'transaction'; input: TransactGetCommandInput } => {
  if (wants.keyHash === undefined && wants.version === undefined) {
    return { kind: 'get', input: buildGetItem(tableName, key) };
  }
  const get = (Key: Record<string, unknown>) => ({ Get: { TableName: tableName, Key } });
  return {
    kind: 'transaction',
    input: {
      TransactItems: [
        get(itemKey(key)),
        ...(wants.version !== undefined ? [get(historyKey(key, wants.version))] : []),
        ...(wants.keyHash !== undefined ? [get(idempotencyKey(key.tenant, wants.keyHash))] : []),
      ],
    },
  };
};
