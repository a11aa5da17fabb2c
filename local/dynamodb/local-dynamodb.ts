import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import {
  type AttributeDefinition,
  type AttributeValue,
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type Projection,
  paginateScan,
  ResourceInUseException,
  ResourceNotFoundException,
  type TableDescription,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { z } from 'zod';
import type { Clock } from '../../lib/clock.ts';
import { LOCAL_CREDENTIALS, LOCAL_HOST, LOCAL_REGION } from '../config.ts';
import { readJsonFile, writeJsonFile } from '../events/json-file.ts';
import type { AccessCheck } from '../iam/types.ts';
import { interceptRequests } from './access-intercept.ts';
import { installConditionCheckItem } from './condition-check-item.ts';
import { installExpressionCache } from './expression-cache.ts';
import { installUtf8ItemSize } from './item-size.ts';
import { type TableDefinition, TableDefinitionSchema } from './table-definition.ts';

/** The table exists with a key schema or indexes other than the definition's. */
export class TableDefinitionMismatchError extends Error {
  override readonly name = 'TableDefinitionMismatchError';
}

export type DynamoItem = Record<string, AttributeValue>;

export interface EnsureTableOptions {
  /**
   * Applied to every item when the table is rebuilt because an index changed: e.g. to give the old
   * items the new index's key, without which they would be missing from it.
   */
  readonly migrateItem?: (item: DynamoItem) => DynamoItem;
}

export interface LocalDynamoDbOptions {
  /** Data lives in `<stateDir>/dynamodb/` (LevelDB); in memory when omitted. */
  readonly stateDir?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
  /** Asked before each operation with its name and JSON body; refusals answered as DynamoDB does. */
  readonly accessCheck?: AccessCheck;
}

const TtlFileSchema = z.record(z.string(), z.string());

/**
 * A real DynamoDB server on loopback (dynalite), so the functions and tests use the DynamoDB SDK
 * over its real wire protocol. dynalite has no TimeToLive API: the TTL attribute of each table is
 * recorded in `<stateDir>/dynamodb/ttl.json`, and `expireItems` deletes expired items on demand
 * (AWS itself deletes them only eventually, within days, so nothing may rely on expiry for
 * correctness anyway).
 */
export class LocalDynamoDb {
  private server: Server | undefined;
  private url: string | undefined;
  private readonly dataDir: string | undefined;
  private ttl: Record<string, string> = {};
  private readonly operationCounts = new Map<string, number>();

  constructor(private readonly options: LocalDynamoDbOptions = {}) {
    this.dataDir = options.stateDir ? join(options.stateDir, 'dynamodb') : undefined;
    // DynamoDB's 400 KB item limit counts UTF-8 bytes; dynalite counts characters (item-size.ts).
    installUtf8ItemSize();
    // A failed conditional write returns the item when asked (ReturnValuesOnConditionCheckFailure).
    installConditionCheckItem();
  }

  async start(): Promise<string> {
    if (this.url) return this.url;
    if (this.dataDir) {
      await mkdir(this.dataDir, { recursive: true });
      const raw = await readJsonFile(join(this.dataDir, 'ttl.json'));
      const parsed = TtlFileSchema.safeParse(raw ?? {});
      this.ttl = parsed.success ? parsed.data : {};
    }
    // The same few expressions arrive with every request: parse each shape once (expression-cache.ts).
    installExpressionCache();
    // Tables become ACTIVE at once: the default half-second CREATING state only slows tests.
    const server = dynalite({
      ...(this.dataDir ? { path: join(this.dataDir, 'data') } : {}),
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    });
    if (this.options.accessCheck) interceptRequests(server, this.options.accessCheck);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.options.port ?? 0, LOCAL_HOST, () => {
        server.off('error', reject);
        resolve();
      });
    });
    const address = server.address();
    if (address === null || typeof address === 'string') throw new Error('dynalite has no TCP address');
    // Counted at the server, so calls from every client (functions, engine integrations) are seen.
    server.on('request', (request) => {
      const target = request.headers['x-amz-target'];
      const operation = typeof target === 'string' ? target.slice(target.indexOf('.') + 1) : 'unknown';
      this.operationCounts.set(operation, (this.operationCounts.get(operation) ?? 0) + 1);
    });
    this.server = server;
    this.url = `http://${LOCAL_HOST}:${address.port}`;
    return this.url;
  }

  /** Requests served so far by operation (`PutItem`, `UpdateItem`...): for the benchmark. */
  requestCounts(): ReadonlyMap<string, number> {
    return new Map(this.operationCounts);
  }

  get endpoint(): string {
    if (!this.url) throw new Error('local DynamoDB is not started');
    return this.url;
  }

  /** A client for this server, with the local region and credentials. */
  client(): DynamoDBClient {
    return new DynamoDBClient({
      endpoint: this.endpoint,
      region: LOCAL_REGION,
      credentials: LOCAL_CREDENTIALS,
    });
  }

  /** Stops the server and closes the database, so the next start (or another process) can open it. */
  async close(): Promise<void> {
    const server = this.server;
    if (!server) return;
    this.server = undefined;
    this.url = undefined;
    server.closeAllConnections();
    await new Promise<void>((resolve, reject) =>
      server.close((error) => (error ? reject(error) : resolve())),
    );
  }

  /**
   * Creates the table if it does not exist and waits until it is ACTIVE. An existing table is left as
   * it is when its keys and indexes match the definition, and refused when its keys differ. When
   * only its indexes differ (a state directory from an older recert) it is rebuilt with its items:
   * dynalite accepts UpdateTable's index Create / Delete but does not apply them.
   */
  async ensureTable(
    definition: TableDefinition,
    options: EnsureTableOptions = {},
  ): Promise<'created' | 'exists' | 'rebuilt'> {
    const table = TableDefinitionSchema.parse(definition);
    const client = this.client();
    try {
      let outcome: 'created' | 'exists' | 'rebuilt';
      const existing = await describe(client, table.tableName);
      const backup = await describe(client, backupNameOf(table.tableName));
      if (existing) checkKeys(table, existing);
      if (backup && (!existing || indexesMatch(table, existing))) {
        // A rebuild stopped after its copy was complete (the table is deleted only then): finish it.
        await rebuild(client, table, options, { copied: true });
        outcome = 'rebuilt';
      } else if (existing && !indexesMatch(table, existing)) {
        await rebuild(client, table, options, { copied: false });
        outcome = 'rebuilt';
      } else if (existing) {
        outcome = 'exists';
      } else {
        try {
          await client.send(new CreateTableCommand(createTableInput(table)));
          outcome = 'created';
        } catch (error) {
          // Another caller created it between our describe and create.
          if (!(error instanceof ResourceInUseException)) throw error;
          outcome = 'exists';
        }
      }
      await waitActive(client, table.tableName);
      if (table.timeToLiveAttribute) await this.recordTtl(table.tableName, table.timeToLiveAttribute);
      return outcome;
    } finally {
      client.destroy();
    }
  }

  /** The TTL attribute recorded for a table, if any. */
  timeToLiveAttribute(tableName: string): string | undefined {
    return this.ttl[tableName];
  }

  /** Deletes the items whose TTL attribute is a time (epoch seconds) at or before the clock's now. */
  async expireItems(tableName: string, clock: Clock): Promise<number> {
    const attribute = this.ttl[tableName];
    if (!attribute) return 0;
    const client = this.client();
    try {
      const table = await describe(client, tableName);
      if (!table) throw new Error(`table ${tableName} does not exist`);
      const keyNames = (table.KeySchema ?? []).flatMap((k) => (k.AttributeName ? [k.AttributeName] : []));
      const nowSeconds = Math.floor(clock.now() / 1000);
      let deleted = 0;
      const pages = paginateScan(
        { client },
        {
          TableName: tableName,
          FilterExpression: '#ttl <= :now',
          ExpressionAttributeNames: { '#ttl': attribute },
          ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
        },
      );
      for await (const page of pages) {
        for (const item of page.Items ?? []) {
          const key = Object.fromEntries(
            keyNames.flatMap((name) => (item[name] ? [[name, item[name]]] : [])),
          );
          await client.send(new DeleteItemCommand({ TableName: tableName, Key: key }));
          deleted++;
        }
      }
      return deleted;
    } finally {
      client.destroy();
    }
  }

  private async recordTtl(tableName: string, attribute: string): Promise<void> {
    if (this.ttl[tableName] === attribute) return;
    this.ttl = { ...this.ttl, [tableName]: attribute };
    if (this.dataDir) await writeJsonFile(join(this.dataDir, 'ttl.json'), this.ttl);
  }
}

async function describe(client: DynamoDBClient, tableName: string): Promise<TableDescription | undefined> {
  try {
    return (await client.send(new DescribeTableCommand({ TableName: tableName }))).Table;
  } catch (error) {
    if (error instanceof ResourceNotFoundException) return undefined;
    throw error;
  }
}

async function waitActive(client: DynamoDBClient, tableName: string): Promise<void> {
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

function createTableInput(table: TableDefinition) {
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

function checkKeys(table: TableDefinition, existing: TableDescription): void {
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

function indexesMatch(table: TableDefinition, existing: TableDescription): boolean {
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

/** Where a rebuild keeps the table's items while the table is recreated. */
const backupNameOf = (tableName: string): string => `${tableName}.rebuild`;

/**
 * Recreates the table with the definition's indexes and its items, through a backup table, so that
 * a process stopped at any point loses nothing: the table is deleted only once the backup holds
 * every item, and the backup only once the new table does; `ensureTable` finishes a rebuild it finds.
 */
async function rebuild(
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

async function deleteTable(client: DynamoDBClient, tableName: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: tableName }));
  for (let attempt = 0; attempt < 100; attempt++) {
    if (!(await describe(client, tableName))) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`table ${tableName} was not deleted`);
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
