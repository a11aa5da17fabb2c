/**
 * Rebuilding a table whose indexes changed: dynalite accepts UpdateTable's index Create / Delete but
 * does not apply them, so the table is recreated and its items copied back.
 */
import {
  type AttributeValue,
  BatchWriteItemCommand,
  CreateTableCommand,
  type DynamoDBClient,
  paginateScan,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { createTableInput, deleteTable, describe, waitActive } from './table-admin.ts';
import type { TableDefinition } from './table-definition.ts';

export type DynamoItem = Record<string, AttributeValue>;

export interface EnsureTableOptions {
  /**
   * Applied to every item when the table is rebuilt because an index changed: e.g. to give the old
   * items the new index's key, without which they would be missing from it.
   */
  readonly migrateItem?: (item: DynamoItem) => DynamoItem;
}

/** Where a rebuild keeps the table's items while the table is recreated. */
export const backupNameOf = (tableName: string): string => `${tableName}.rebuild`;

/**
 * Recreates the table with the definition's indexes and its items, through a backup table, so that
 * a process stopped at any point loses nothing: the table is deleted only once the backup holds
 * every item, and the backup only once the new table does; `ensureTable` finishes a rebuild it finds.
 */
export async function rebuild(
  client: DynamoDBClient,
  table: TableDefinition,
  options: EnsureTableOptions,
  state: { copied: boolean },
): Promise<void> {
  const backupName = backupNameOf(table.tableName);
  if (!state.copied) {
    if (await describe(client, backupName)) await deleteTable(client, backupName);
    await client.send(
      new CreateTableCommand(
        createTableInput({
          tableName: backupName,
          partitionKey: table.partitionKey,
          ...(table.sortKey ? { sortKey: table.sortKey } : {}),
        }),
      ),
    );
    await waitActive(client, backupName);
    await copyItems(client, table.tableName, backupName, (item) => item);
  }
  if (await describe(client, table.tableName)) await deleteTable(client, table.tableName);
  await client.send(new CreateTableCommand(createTableInput(table)));
  await waitActive(client, table.tableName);
  await copyItems(client, backupName, table.tableName, options.migrateItem ?? ((item) => item));
  await deleteTable(client, backupName);
}

/** Copies every item, 25 a BatchWriteItem; a put of an item already there writes it again. */
async function copyItems(
  client: DynamoDBClient,
  from: string,
  to: string,
  migrate: (item: DynamoItem) => DynamoItem,
): Promise<void> {
  for await (const page of paginateScan({ client }, { TableName: from, ConsistentRead: true })) {
    const items = page.Items ?? [];
    for (let i = 0; i < items.length; i += 25) {
      let requests: WriteRequest[] = items
        .slice(i, i + 25)
        .map((item) => ({ PutRequest: { Item: migrate(item) } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt >= 10) throw new Error(`copying ${from} to ${to}: items left unprocessed`);
        const out = await client.send(new BatchWriteItemCommand({ RequestItems: { [to]: requests } }));
        requests = out.UnprocessedItems?.[to] ?? [];
      }
    }
  }
}
