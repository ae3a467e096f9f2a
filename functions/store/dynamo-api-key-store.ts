import {
  type DynamoDBDocumentClient,
  PutCommand,
  ScanCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import {
  type ApiKeyRecord,
  type ApiKeyStore,
  KeyConditionFailedError,
  type Scope,
} from '../core/api-keys';
import {
  buildAdmitBusy,
  buildAdmitIdle,
  buildClaimBlock,
  buildCreateKey,
  buildRevoke,
  buildScanKeys,
  KEY_ATTRIBUTES,
} from './api-key-requests';
import { translateFailures, updatedRecord } from './failures';
import { TABLE_KEYS } from './keys';

const toRecord = (item: Record<string, unknown>): ApiKeyRecord => ({
  keyId: String(item[KEY_ATTRIBUTES.keyId]),
  tenant: String(item[KEY_ATTRIBUTES.tenant]),
  scopes: (item[KEY_ATTRIBUTES.scopes] as Scope[] | undefined) ?? [],
  name: String(item[KEY_ATTRIBUTES.name] ?? ''),
  quota: Number(item[KEY_ATTRIBUTES.quota]),
  createdAt: String(item[KEY_ATTRIBUTES.createdAt]),
  ...(item[KEY_ATTRIBUTES.revokedAt] ? { revokedAt: String(item[KEY_ATTRIBUTES.revokedAt]) } : {}),
  windowSeconds: Number(item[KEY_ATTRIBUTES.windowSeconds]),
  intervalMs: Number(item[KEY_ATTRIBUTES.intervalMs]),
  intervalLessToleranceMs: Number(item[KEY_ATTRIBUTES.intervalLessToleranceMs]),
  tat: Number(item[KEY_ATTRIBUTES.tat]),
  allowAt: Number(item[KEY_ATTRIBUTES.allowAt]),
});

/** Sends one admission write; a refused condition carries the record as it was. */
const admitting = async (send: () => Promise<{ Attributes?: Record<string, unknown> }>) =>
  toRecord(
    await updatedRecord(
      send,
      (item) => new KeyConditionFailedError(item ? toRecord(item) : undefined),
    ),
  );

/** The DynamoDB implementation of the API key port. */
export const createDynamoApiKeyStore = ({
  client,
  tableName,
}: {
  client: DynamoDBDocumentClient;
  tableName: string;
}): ApiKeyStore => {
  const scanAll = async (): Promise<Array<Record<string, unknown>>> => {
    const items: Array<Record<string, unknown>> = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await client.send(new ScanCommand(buildScanKeys(tableName, startKey)));
      items.push(...(page.Items ?? []));
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return items;
  };

  return {
    admitIdle: (hash, now) =>
      admitting(() => client.send(new UpdateCommand(buildAdmitIdle(tableName, hash, now)))),
    admitBusy: (hash, now) =>
      admitting(() => client.send(new UpdateCommand(buildAdmitBusy(tableName, hash, now)))),
    claimBlock: (hash, claim) =>
      admitting(() => client.send(new UpdateCommand(buildClaimBlock(tableName, hash, claim)))),
    async create(hash, record) {
      try {
        await translateFailures(
          () => client.send(new PutCommand(buildCreateKey(tableName, hash, record))),
          () => new KeyConditionFailedError(undefined),
        );
        return true;
      } catch (error) {
        if (error instanceof KeyConditionFailedError) return false;
        throw error;
      }
    },
    async list() {
      return (await scanAll()).map(toRecord);
    },
    async revoke(keyId, at) {
      const found = (await scanAll()).find((item) => item[KEY_ATTRIBUTES.keyId] === keyId);
      if (!found) return false;
      const key = {
        [TABLE_KEYS.partitionKey]: found[TABLE_KEYS.partitionKey],
        [TABLE_KEYS.sortKey]: found[TABLE_KEYS.sortKey],
      };
      await client.send(new UpdateCommand(buildRevoke(tableName, key, at)));
      return true;
    },
  };
};
