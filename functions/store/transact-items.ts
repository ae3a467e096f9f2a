/**
 * The shapes a plan's parts take on the wire, and the one rule for sending
 * them: a single action goes as its own UpdateItem, PutItem or DeleteItem,
 * anything more as one TransactWriteItems in the order of the plan's parts
 * (so `CancellationReasons[i]` explains part i).
 */
import type {
  DeleteCommandInput,
  PutCommandInput,
  TransactWriteCommandInput,
  TransactWriteConditionCheck,
  TransactWriteDelete,
  TransactWritePut,
  TransactWriteUpdate,
  UpdateCommandInput,
} from '@aws-sdk/lib-dynamodb';

export type UpdateAction = TransactWriteUpdate;
export type PutAction = TransactWritePut;
export type DeleteAction = TransactWriteDelete;
export type ConditionCheckAction = TransactWriteConditionCheck;

export type WriteAction =
  | { readonly Update: UpdateAction }
  | { readonly Put: PutAction }
  | { readonly Delete: DeleteAction }
  | { readonly ConditionCheck: ConditionCheckAction };

export type PlanRequest =
  | { readonly kind: 'update'; readonly input: UpdateCommandInput }
  | { readonly kind: 'put'; readonly input: PutCommandInput }
  | { readonly kind: 'delete'; readonly input: DeleteCommandInput }
  | { readonly kind: 'transaction'; readonly input: TransactWriteCommandInput };

/**
 * The one request that sends `actions`. A lone update asks for the record
 * after the write: that is how a plan whose result is not pinned in advance
 * (a lease acquisition counting on from the stored fencing token) learns it.
 * A condition check exists only inside a transaction, even alone.
 *
 * @param requestToken makes a transaction idempotent (ClientRequestToken)
 */
export const requestOf = (actions: readonly WriteAction[], requestToken?: string): PlanRequest => {
  const [only] = actions;
  if (!only) throw new Error('no actions to send');
  if (actions.length > 1 || 'ConditionCheck' in only) {
    return {
      kind: 'transaction',
      input: {
        TransactItems: [...actions],
        ...(requestToken !== undefined ? { ClientRequestToken: requestToken } : {}),
      },
    };
  }
  if ('Update' in only)
    return { kind: 'update', input: { ...only.Update, ReturnValues: 'ALL_NEW' } };
  if ('Put' in only) return { kind: 'put', input: { ...only.Put } };
  return { kind: 'delete', input: { ...only.Delete } };
};
