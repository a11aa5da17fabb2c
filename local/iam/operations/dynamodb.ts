/**
 * What DynamoDB authorizes each operation as (Service Authorization Reference): the table or index and
 * `dynamodb:LeadingKeys`; batches once per table, transactions per item with `dynamodb:EnclosingOperation`.
 */
import type { RequestContext } from '../types.ts';
import {
  arn,
  arrayField,
  authorize,
  isRecord,
  OperationInputError,
  type OperationMapping,
  type OperationScope,
  permissionsOf,
  recordField,
  stringField,
  tagContext,
  wildcard,
} from './shared.ts';

/** The account, plus each table's partition key name (an index's, when `indexName` is given). */
export interface DynamoDbScope extends OperationScope {
  readonly partitionKeyOf: (tableName: string, indexName?: string) => string | undefined;
}

type Mapping = OperationMapping<unknown, DynamoDbScope>;

const TARGET_PREFIX = /^DynamoDB_\d{8}\./;
const LEADING_KEYS = 'dynamodb:LeadingKeys';

/** A table named by its name or (as DynamoDB also accepts) its ARN. */
interface TableRef {
  readonly name: string;
  readonly arn: string;
}

function tableRef(scope: OperationScope, nameOrArn: string): TableRef {
  const fromArn = /^arn:[^:]+:dynamodb:[^:]*:[^:]*:table\/([^/]+)$/.exec(nameOrArn)?.[1];
  if (fromArn !== undefined) return { name: fromArn, arn: nameOrArn };
  return { name: nameOrArn, arn: arn(scope, 'dynamodb', `table/${nameOrArn}`) };
}

function tableOf(input: unknown, scope: OperationScope, operation: string): TableRef {
  const name = stringField(input, 'TableName');
  if (name === undefined) throw new OperationInputError('dynamodb', operation, 'TableName is required');
  return tableRef(scope, name);
}

/** An attribute value as IAM compares it: the string of an S, N or B value; other types have none. */
export function attributeValueString(value: unknown): string | undefined {
  if (!isRecord(value)) return undefined;
  for (const type of ['S', 'N', 'B'] as const) {
    if (typeof value[type] === 'string') return value[type];
  }
  return undefined;
}

function leadingKeys(values: Iterable<string | undefined>): RequestContext | undefined {
  const keys = [...new Set([...values].filter((v): v is string => v !== undefined))];
  return keys.length === 0 ? undefined : { [LEADING_KEYS]: keys };
}

/** The partition key value of a key or item map, as a string. */
function partitionValue(item: unknown, scope: DynamoDbScope, table: TableRef): string | undefined {
  const key = scope.partitionKeyOf(table.name);
  return key === undefined || !isRecord(item) ? undefined : attributeValueString(item[key]);
}

const TOKEN_SOURCE = String.raw`\s*(#[A-Za-z0-9_]+|:[A-Za-z0-9_]+|<=|>=|<>|[=<>(),]|[A-Za-z_][A-Za-z0-9_]*)\s*`;

/**
 * The partition key's value in a KeyConditionExpression (`<pk> = :value`, through `#names`, either side,
 * beside a sort key condition); undefined without such a comparison.
 */
export function partitionValueOfKeyCondition(
  expression: string,
  names: Readonly<Record<string, unknown>>,
  values: Readonly<Record<string, unknown>>,
  partitionKey: string,
): string | undefined {
  const token = new RegExp(TOKEN_SOURCE, 'y');
  const tokens: string[] = [];
  while (token.lastIndex < expression.length) {
    const match = token.exec(expression);
    // Anything the grammar does not know (a stray character) leaves the value unknown.
    if (match?.[1] === undefined) return undefined;
    // `=` binds tighter than AND and parentheses only group: dropping them keeps each comparison whole.
    if (match[1] !== '(' && match[1] !== ')') tokens.push(match[1]);
  }
  const nameOf = (token: string): string | undefined => {
    if (token.startsWith(':')) return undefined;
    if (!token.startsWith('#')) return token;
    const name = names[token];
    return typeof name === 'string' ? name : undefined;
  };
  for (let i = 1; i + 1 < tokens.length; i++) {
    if (tokens[i] !== '=') continue;
    const [left, right] = [tokens[i - 1] ?? '', tokens[i + 1] ?? ''];
    const placeholder =
      nameOf(left) === partitionKey && right.startsWith(':')
        ? right
        : nameOf(right) === partitionKey && left.startsWith(':')
          ? left
          : undefined;
    if (placeholder !== undefined) return attributeValueString(values[placeholder]);
  }
  return undefined;
}

/** A Query's partition key value: from KeyConditionExpression, or the legacy KeyConditions' EQ. */
function queryPartitionValue(input: unknown, partitionKey: string): string | undefined {
  const expression = stringField(input, 'KeyConditionExpression');
  if (expression !== undefined) {
    return partitionValueOfKeyCondition(
      expression,
      recordField(input, 'ExpressionAttributeNames') ?? {},
      recordField(input, 'ExpressionAttributeValues') ?? {},
      partitionKey,
    );
  }
  const condition = recordField(recordField(input, 'KeyConditions'), partitionKey);
  if (condition?.ComparisonOperator !== 'EQ') return undefined;
  return attributeValueString(arrayField(condition, 'AttributeValueList')[0]);
}

/** Query and Scan: on the index when the request names one, else on the table. */
const onTableOrIndex =
  (action: string, withLeadingKeys: boolean): Mapping =>
  (input, scope, operation) => {
    const table = tableOf(input, scope, operation);
    const index = stringField(input, 'IndexName');
    const resource = index === undefined ? table.arn : `${table.arn}/index/${index}`;
    const partitionKey = scope.partitionKeyOf(table.name, index);
    const context =
      withLeadingKeys && partitionKey !== undefined
        ? leadingKeys([queryPartitionValue(input, partitionKey)])
        : undefined;
    return [authorize(action, resource, context)];
  };

/** Single-item operations: the table, with the partition key of `Key` (or of `Item` for PutItem). */
const onItem =
  (action: string, field: 'Key' | 'Item'): Mapping =>
  (input, scope, operation) => {
    const table = tableOf(input, scope, operation);
    return [
      authorize(action, table.arn, leadingKeys([partitionValue(recordField(input, field), scope, table)])),
    ];
  };

const onTable =
  (action: string): Mapping =>
  (input, scope, operation) => [authorize(action, tableOf(input, scope, operation).arn)];

/** Tagging operations name the table by `ResourceArn`. */
const onResourceArn =
  (action: string, context?: (input: unknown) => RequestContext | undefined): Mapping =>
  (input, _scope, operation) => {
    const resource = stringField(input, 'ResourceArn');
    if (resource === undefined)
      throw new OperationInputError('dynamodb', operation, 'ResourceArn is required');
    return [authorize(action, resource, context?.(input))];
  };

/** BatchGetItem and BatchWriteItem: one request per table, with every partition key it touches. */
const onBatch =
  (action: string, keysOf: (entry: unknown) => unknown[]): Mapping =>
  (input, scope, operation) => {
    const requestItems = recordField(input, 'RequestItems');
    if (requestItems === undefined || Object.keys(requestItems).length === 0) {
      throw new OperationInputError('dynamodb', operation, 'RequestItems is required');
    }
    return Object.entries(requestItems).map(([name, entry]) => {
      const table = tableRef(scope, name);
      const values = keysOf(entry).map((key) => partitionValue(key, scope, table));
      return authorize(action, table.arn, leadingKeys(values));
    });
  };

const batchGetKeys = (entry: unknown): unknown[] => [...arrayField(entry, 'Keys')];
const batchWriteKeys = (entry: unknown): unknown[] =>
  (Array.isArray(entry) ? entry : []).map(
    (request) =>
      recordField(recordField(request, 'PutRequest'), 'Item') ??
      recordField(recordField(request, 'DeleteRequest'), 'Key'),
  );

/** Transactions: each item's own action on its table, enclosed by the transaction's name. */
const TRANSACT_ACTIONS = {
  Get: ['dynamodb:GetItem', 'Key'],
  Put: ['dynamodb:PutItem', 'Item'],
  Update: ['dynamodb:UpdateItem', 'Key'],
  Delete: ['dynamodb:DeleteItem', 'Key'],
  ConditionCheck: ['dynamodb:ConditionCheckItem', 'Key'],
} as const;

const onTransaction: Mapping = (input, scope, operation) => {
  const items = arrayField(input, 'TransactItems');
  if (items.length === 0) throw new OperationInputError('dynamodb', operation, 'TransactItems is required');
  return items.map((item) => {
    const kind = (Object.keys(TRANSACT_ACTIONS) as (keyof typeof TRANSACT_ACTIONS)[]).find((k) =>
      isRecord(recordField(item, k)),
    );
    if (kind === undefined)
      throw new OperationInputError('dynamodb', operation, 'a TransactItem names no action');
    const [action, field] = TRANSACT_ACTIONS[kind];
    const request = recordField(item, kind);
    const table = tableOf(request, scope, operation);
    const keys = leadingKeys([partitionValue(recordField(request, field), scope, table)]);
    // ConditionCheckItem exists only inside a transaction; the reference gives it no EnclosingOperation.
    const enclosing = kind === 'ConditionCheck' ? {} : { 'dynamodb:EnclosingOperation': operation };
    return authorize(action, table.arn, { ...keys, ...enclosing });
  });
};

const MAPPINGS: Readonly<Record<string, Mapping>> = {
  GetItem: onItem('dynamodb:GetItem', 'Key'),
  PutItem: onItem('dynamodb:PutItem', 'Item'),
  UpdateItem: onItem('dynamodb:UpdateItem', 'Key'),
  DeleteItem: onItem('dynamodb:DeleteItem', 'Key'),
  Query: onTableOrIndex('dynamodb:Query', true),
  // The reference gives Scan no LeadingKeys: it reads every partition.
  Scan: onTableOrIndex('dynamodb:Scan', false),
  BatchGetItem: onBatch('dynamodb:BatchGetItem', batchGetKeys),
  BatchWriteItem: onBatch('dynamodb:BatchWriteItem', batchWriteKeys),
  // Dynalite does not serve transactions; mapped so a server that adds them is authorized as AWS does.
  TransactGetItems: onTransaction,
  TransactWriteItems: onTransaction,
  CreateTable: (input, scope, operation) => [
    authorize(
      'dynamodb:CreateTable',
      tableOf(input, scope, operation).arn,
      tagContext(arrayField(input, 'Tags')),
    ),
  ],
  DescribeTable: onTable('dynamodb:DescribeTable'),
  UpdateTable: onTable('dynamodb:UpdateTable'),
  DeleteTable: onTable('dynamodb:DeleteTable'),
  DescribeTimeToLive: onTable('dynamodb:DescribeTimeToLive'),
  ListTables: wildcard('dynamodb:ListTables'),
  ListTagsOfResource: onResourceArn('dynamodb:ListTagsOfResource'),
  TagResource: onResourceArn('dynamodb:TagResource', (input) => tagContext(arrayField(input, 'Tags'))),
  UntagResource: onResourceArn('dynamodb:UntagResource', (input) => {
    const keys = arrayField(input, 'TagKeys').filter((k): k is string => typeof k === 'string');
    return keys.length === 0 ? undefined : { 'aws:TagKeys': keys };
  }),
};

/** The DynamoDB operations mapped, by bare name (`GetItem`). */
export const DYNAMODB_OPERATIONS: readonly string[] = Object.freeze(Object.keys(MAPPINGS));

/** `operation` is the bare name or the `X-Amz-Target` (`DynamoDB_20120810.GetItem`). */
export const dynamodbPermissions = permissionsOf(MAPPINGS, 'dynamodb', TARGET_PREFIX);
