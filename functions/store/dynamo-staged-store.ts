/** The DynamoDB implementation of the staged-transaction port: one request per call. */
import {
  type DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import { PayloadTooLargeError } from '../core/errors';
import { MAX_REQUEST_BYTES } from '../core/limits';
import { StagedRefusedError, type StagedStore } from '../core/staged-model';
import { translateFailures } from './failures';
import {
  buildStagedAbort,
  buildStagedAdd,
  buildStagedBegin,
  buildStagedGet,
  STAGED_ATTRIBUTES,
  toStagedRecord,
} from './staged-requests';

const refused = (item: Record<string, unknown> | undefined) =>
  new StagedRefusedError(item ? toStagedRecord(item) : undefined);

/** DynamoDB refuses an item over 400 KB: the operations of one staged transaction must fit one. */
const tooLarge = (error: unknown): boolean =>
  error instanceof Error &&
  error.name === 'ValidationException' &&
  /item size/i.test(error.message);

export const createDynamoStagedStore = ({
  client,
  tableName,
}: {
  client: DynamoDBDocumentClient;
  tableName: string;
}): StagedStore => ({
  async begin(tenant, record) {
    await translateFailures(() =>
      client.send(new PutCommand(buildStagedBegin(tableName, tenant, record))),
    );
  },

  async add(tenant, id, addition) {
    try {
      const { Attributes } = await translateFailures(
        () => client.send(new UpdateCommand(buildStagedAdd(tableName, tenant, id, addition))),
        refused,
      );
      return Number(Attributes?.[STAGED_ATTRIBUTES.count]) - 1;
    } catch (error) {
      if (!tooLarge(error)) throw error;
      throw new PayloadTooLargeError(
        `the operations of one staged transaction must fit in about ${MAX_REQUEST_BYTES} bytes`,
        MAX_REQUEST_BYTES,
      );
    }
  },

  async get(tenant, id) {
    const { Item } = await translateFailures(() =>
      client.send(new GetCommand(buildStagedGet(tableName, tenant, id))),
    );
    return Item ? toStagedRecord(Item) : undefined;
  },

  async abort(tenant, id, change) {
    await translateFailures(
      () => client.send(new UpdateCommand(buildStagedAbort(tableName, tenant, id, change))),
      refused,
    );
  },
});
