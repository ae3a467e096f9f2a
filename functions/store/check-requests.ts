/**
 * The ConditionCheck of a transaction's `check` operation: the document's
 * condition, evaluated with the rest of the transaction, writing nothing.
 * Like every conditional action it asks for ALL_OLD, so a refusal carries
 * the document as it is.
 */
import type { CheckPart } from '../core/write-plan';
import { conditionExpression, ITEM_ATTRIBUTES, itemKey } from './item-requests';
import type { ConditionCheckAction } from './transact-items';

export const documentCheck = (tableName: string, part: CheckPart): ConditionCheckAction => {
  if (part.never) {
    return {
      TableName: tableName,
      Key: itemKey(part.key),
      ConditionExpression: 'attribute_exists(#version) AND attribute_not_exists(#version)',
      ExpressionAttributeNames: { '#version': ITEM_ATTRIBUTES.version },
      ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
    };
  }
  const { expression, values, names } = conditionExpression(part.condition);
  if (!expression) throw new Error('a check must have a condition');
  return {
    TableName: tableName,
    Key: itemKey(part.key),
    ConditionExpression: expression,
    // DynamoDB refuses names an expression does not use.
    ExpressionAttributeNames: {
      ...(expression.includes('#version') ? { '#version': ITEM_ATTRIBUTES.version } : {}),
      ...(expression.includes('#state') ? { '#state': ITEM_ATTRIBUTES.state } : {}),
      ...names,
    },
    ...(Object.keys(values).length > 0 ? { ExpressionAttributeValues: values } : {}),
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
  };
};
