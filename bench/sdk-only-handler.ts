/**
 * The yardstick of the cold-start benchmark: the smallest useful DynamoDB
 * Lambda, with the same client the functions use and one GetItem. Whatever
 * Concord's bundle costs to import beyond this is Concord's own.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { createDocumentClient } from '../functions/store/client';
import { TABLE_NAME_ENV } from '../functions/store/keys';

const client = createDocumentClient();

export const handler = async (event: { pk: string; sk: string }) =>
  client.send(new GetCommand({ TableName: process.env[TABLE_NAME_ENV], Key: event }));
