/**
 * The table's key layout, defined once. The CDK stack, the local server and
 * the test setup import these names; nothing else spells them out.
 *
 * Every key starts with the tenant, so tenancy never needs a migration and no
 * query can cross from one tenant into another.
 */

export const TABLE_KEYS = {
  partitionKey: 'pk',
  sortKey: 'sk',
  /** Epoch seconds; DynamoDB's TTL deletes expired records eventually. */
  ttlAttribute: 'expiresAt',
} as const;

/** The environment variable that names the table in Lambda and locally. */
export const TABLE_NAME_ENV = 'TABLE_NAME';

const SEPARATOR = '#';

/** Partition of one tenant's collection: all of its documents, one query away. */
export const collectionPartition = (tenant: string, collection: string): string =>
  `T${SEPARATOR}${tenant}${SEPARATOR}C${SEPARATOR}${collection}`;

/** Sort key of a document inside its collection partition. */
export const itemSortKey = (id: string): string => `I${SEPARATOR}${id}`;

export const ITEM_SORT_PREFIX = `I${SEPARATOR}`;

/** Strips the document sort-key prefix; the inverse of {@link itemSortKey}. */
export const idFromSortKey = (sk: string): string => sk.slice(ITEM_SORT_PREFIX.length);

/**
 * API key records live in their own partitions, named by the key's hash, so
 * a function that may only touch key records can be limited to them with an
 * IAM `dynamodb:LeadingKeys` condition on this prefix.
 */
export const API_KEY_PARTITION_PREFIX = 'KEY#';
export const apiKeyPartition = (hash: string): string => `${API_KEY_PARTITION_PREFIX}${hash}`;
export const API_KEY_SORT_KEY = 'KEY';

/** Idempotency records: one partition per tenant and key, expired by TTL. */
export const idempotencyPartition = (tenant: string, keyHash: string): string =>
  `T${SEPARATOR}${tenant}${SEPARATOR}IK${SEPARATOR}${keyHash}`;
export const IDEMPOTENCY_SORT_KEY = 'IK';

/**
 * A document's version history: one partition per document, one entry per
 * version, sorted by the zero-padded version, so listing newest first is one
 * Query (ScanIndexForward=false) whose cost does not grow with the number of
 * versions. The partition starts with the tenant like every other key.
 */
export const historyPartition = (tenant: string, collection: string, id: string): string =>
  `${collectionPartition(tenant, collection)}${SEPARATOR}H${SEPARATOR}${id}`;

export const HISTORY_SORT_PREFIX = `V${SEPARATOR}`;
/** Versions are safe integers, at most 15 digits: padded, they sort as numbers. */
const VERSION_DIGITS = 15;

export const historySortKey = (version: number): string =>
  `${HISTORY_SORT_PREFIX}${String(version).padStart(VERSION_DIGITS, '0')}`;

/** The inverse of {@link historySortKey}. */
export const versionFromSortKey = (sk: string): number =>
  Number(sk.slice(HISTORY_SORT_PREFIX.length));

/**
 * The guard of one unique value: one partition per tenant, collection,
 * field and value hash (fixed length, so keys stay small whatever the value).
 * Field names are configuration, restricted to characters without `#`.
 */
export const uniquePartition = (
  tenant: string,
  collection: string,
  field: string,
  valueHash: string,
): string =>
  `${collectionPartition(tenant, collection)}${SEPARATOR}U${SEPARATOR}${field}${SEPARATOR}${valueHash}`;
export const UNIQUE_SORT_KEY = 'U';

/** Staged transactions: one record per transaction, expired by TTL once closed. */
export const stagedPartition = (tenant: string, txId: string): string =>
  `T${SEPARATOR}${tenant}${SEPARATOR}TX${SEPARATOR}${txId}`;
export const STAGED_SORT_KEY = 'TX';

/**
 * Refused version conflicts, kept for resolution: one partition per tenant,
 * sorted by the conflict id (a ULID, so by time). `conflictSortKey` records
 * carry `status` (`open` or `resolved`), so the table's stream tells a new
 * conflict (INSERT) from its resolution (MODIFY to `resolved`).
 */
export const conflictPartition = (tenant: string): string => `T${SEPARATOR}${tenant}${SEPARATOR}CF`;
export const CONFLICT_SORT_PREFIX = `CF${SEPARATOR}`;
export const conflictSortKey = (conflictId: string): string =>
  `${CONFLICT_SORT_PREFIX}${conflictId}`;

/** Webhook subscriptions: one partition per tenant, one record per subscription. */
export const subscriptionPartition = (tenant: string): string =>
  `T${SEPARATOR}${tenant}${SEPARATOR}SUB`;
export const SUBSCRIPTION_SORT_PREFIX = `S${SEPARATOR}`;
export const subscriptionSortKey = (subscriptionId: string): string =>
  `${SUBSCRIPTION_SORT_PREFIX}${subscriptionId}`;
/** The record in the subscription partition that counts the tenant's subscriptions. */
export const SUBSCRIPTION_COUNT_SORT_KEY = 'COUNT';
