/**
 * The DynamoDB actions each function group's routes issue, and nothing
 * more: the CDK stack grants exactly these, and a test drives every route
 * against DynamoDB Local recording the actions it really sends. Transactions
 * need the action of each of their parts (TransactWriteItems is authorised
 * per Put, Update, Delete and ConditionCheck; TransactGetItems per Get).
 */
import type { FunctionGroup } from '../functions/http/routes';

export const TABLE_ACTIONS: Record<FunctionGroup, readonly string[]> = {
  // Reads, plus the admission write on API key records (limited to those
  // partitions by a separate, conditioned statement).
  read: ['dynamodb:GetItem', 'dynamodb:Query'],
  // Document writes with their history entries, unique guards, idempotency
  // records and conflict records; the reads a patch or an idempotent write
  // needs first.
  write: ['dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:UpdateItem'],
  // Leases, transactions (their condition checks included) and webhook
  // subscriptions, with the reads they need first.
  coordinate: [
    'dynamodb:ConditionCheckItem',
    'dynamodb:DeleteItem',
    'dynamodb:GetItem',
    'dynamodb:PutItem',
    'dynamodb:UpdateItem',
  ],
  // The API description and unknown routes: no table access at all.
  public: [],
};

/** What a read-group function may write: only API key records, to admit requests. */
export const READ_GROUP_KEY_ACTIONS: readonly string[] = ['dynamodb:UpdateItem'];

/**
 * What the webhook function may do with the table, besides reading its
 * stream: find a tenant's subscriptions. The stack limits it to the
 * subscription partitions with an IAM `dynamodb:LeadingKeys` condition.
 */
export const WEBHOOK_FUNCTION_ACTIONS: readonly string[] = ['dynamodb:Query'];
