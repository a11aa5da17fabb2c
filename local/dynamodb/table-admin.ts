/**
 * The local DynamoDB's tables as a control plane sees them: described, created from a definition,
 * waited for, deleted, and compared with the definition (keys, indexes).
 */

import {
  type AttributeDefinition,
  DeleteTableCommand,
  DescribeTableCommand,
  type DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type Projection,
  ResourceNotFoundException,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import { namedError } from '../../lib/named-error.ts';
import type { TableDefinition } from './table-definition.ts';

/** The table exists with a key schema or indexes other than the definition's. */
export class TableDefinitionMismatchError extends namedError('TableDefinitionMismatchError') {}

export async function describe(
  client: DynamoDBClient,
  tableName: string,
): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

export async function waitActive(client: DynamoDBClient, tableName: string): Promise<void> {
  for (let attempt = 0; attempt < 100; attempt++) {
    const table = await describe(client, tableName);
    if (table?.TableStatus === 'ACTIVE') return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`table ${tableName} did not become ACTIVE`);
}

function keySchema(partition: { name: string }, sort?: { name: string }): KeySchemaElement[] {
  return [
    { AttributeName: partition.name, KeyType: 'HASH' },
    ...(sort ? [{ AttributeName: sort.name, KeyType: 'RANGE' as const }] : []),
  ];
}

function projection(value: { projection?: 'ALL' | 'KEYS_ONLY' | string[] | undefined }): Projection {
  const p = value.projection ?? 'ALL';
  if (p === 'ALL' || p === 'KEYS_ONLY') return { ProjectionType: p };
  return { ProjectionType: 'INCLUDE', NonKeyAttributes: p };
}

export function createTableInput(table: TableDefinition) {
  const attributes = new Map<string, AttributeDefinition>();
  const add = (key: { name: string; type: 'S' | 'N' | 'B' } | undefined) => {
    if (key) attributes.set(key.name, { AttributeName: key.name, AttributeType: key.type });
  };
  add(table.partitionKey);
  add(table.sortKey);
  const indexes: GlobalSecondaryIndex[] = (table.globalSecondaryIndexes ?? []).map((index) => {
    add(index.partitionKey);
    add(index.sortKey);
    return {
      IndexName: index.indexName,
      KeySchema: keySchema(index.partitionKey, index.sortKey),
      Projection: projection(index),
    };
  });
  return {
    TableName: table.tableName,
    KeySchema: keySchema(table.partitionKey, table.sortKey),
    AttributeDefinitions: [...attributes.values()],
    BillingMode: 'PAY_PER_REQUEST' as const,
    ...(indexes.length > 0 ? { GlobalSecondaryIndexes: indexes } : {}),
  };
}

export function checkKeys(table: TableDefinition, existing: TableDescription): void {
  const want = JSON.stringify(keySchema(table.partitionKey, table.sortKey));
  const got = JSON.stringify(
    (existing.KeySchema ?? []).map((k) => ({ AttributeName: k.AttributeName, KeyType: k.KeyType })),
  );
  if (want !== got) {
    throw new TableDefinitionMismatchError(
      `Table ${table.tableName} exists with key schema ${got}, expected ${want}`,
    );
  }
}

/** The indexes' names, key schemas and projections, in a form that compares as text. */
function indexSignature(
  indexes: readonly { name: string; keys: KeySchemaElement[]; projection: Projection }[],
): string {
  return JSON.stringify(
    indexes
      .map((i) => ({
        name: i.name,
        keys: i.keys.map((k) => `${k.AttributeName ?? ''}:${k.KeyType ?? ''}`),
        projection: i.projection.ProjectionType ?? 'ALL',
        attributes: [...(i.projection.NonKeyAttributes ?? [])].sort(),
      }))
      .sort((a, b) => a.name.localeCompare(b.name)),
  );
}

export function indexesMatch(table: TableDefinition, existing: TableDescription): boolean {
  const want = (table.globalSecondaryIndexes ?? []).map((index) => ({
    name: index.indexName,
    keys: keySchema(index.partitionKey, index.sortKey),
    projection: projection(index),
  }));
  const got = (existing.GlobalSecondaryIndexes ?? []).map((index) => ({
    name: index.IndexName ?? '',
    keys: index.KeySchema ?? [],
    projection: index.Projection ?? {},
  }));
  return indexSignature(want) === indexSignature(got);
}

export async function deleteTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: tableName }));
  for (let attempt = 0; attempt < 100; attempt++) {
    if (!(await describe(client, tableName))) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`table ${tableName} was not deleted`);
}
