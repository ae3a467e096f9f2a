import type { CreateTableCommandInput } from '@aws-sdk/client-dynamodb';
import { TABLE_KEYS } from './keys';

/**
 * The CreateTable request for environments the CDK stack does not manage
 * (DynamoDB Local for `npm start` and the tests). Same keys as the stack.
 */
export const tableDefinition = (tableName: string): CreateTableCommandInput => ({
  TableName: tableName,
  BillingMode: 'PAY_PER_REQUEST',
  AttributeDefinitions: [
    { AttributeName: TABLE_KEYS.partitionKey, AttributeType: 'S' },
    { AttributeName: TABLE_KEYS.sortKey, AttributeType: 'S' },
  ],
  KeySchema: [
    { AttributeName: TABLE_KEYS.partitionKey, KeyType: 'HASH' },
    { AttributeName: TABLE_KEYS.sortKey, KeyType: 'RANGE' },
  ],
  StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
});
