import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import {
  type AttributeDefinition,
  type AttributeValue,
  CreateTableCommand,
  DeleteItemCommand,
  DescribeTableCommand,
  DynamoDBClient,
  type GlobalSecondaryIndex,
  type KeySchemaElement,
  type Projection,
  ResourceInUseException,
  ResourceNotFoundException,
  ScanCommand,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import dynalite from 'dynalite';
import { z } from 'zod';
import type { Clock } from '../clock.ts';
import { LOCAL_CREDENTIALS, LOCAL_HOST, LOCAL_REGION } from '../config.ts';
import { readJsonFile, writeJsonFile } from '../events/json-file.ts';
import { type TableDefinition, TableDefinitionSchema } from './table-definition.ts';

/** The table exists with a key schema or indexes other than the definition's. */
export class TableDefinitionMismatchError extends Error {
  override readonly name = 'TableDefinitionMismatchError';
}

export interface LocalDynamoDbOptions {
  /** Data lives in `<stateDir>/dynamodb/` (LevelDB); in memory when omitted. */
  readonly stateDir?: string;
  /** 0 (default) picks a free port. */
  readonly port?: number;
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
  }

  async start(): Promise<string> {
    if (this.url) return this.url;
    if (this.dataDir) {
      await mkdir(this.dataDir, { recursive: true });
      const raw = await readJsonFile(join(this.dataDir, 'ttl.json'));
      const parsed = TtlFileSchema.safeParse(raw ?? {});
      this.ttl = parsed.success ? parsed.data : {};
    }
    // Tables become ACTIVE at once: the default half-second CREATING state only slows tests.
    const server = dynalite({
      ...(this.dataDir ? { path: join(this.dataDir, 'data') } : {}),
      createTableMs: 0,
      deleteTableMs: 0,
      updateTableMs: 0,
    });
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
   * Creates the table if it does not exist and waits until it is ACTIVE; an existing table is left
   * as it is when its keys and indexes match the definition, and refused otherwise.
   */
  async ensureTable(definition: TableDefinition): Promise<'created' | 'exists'> {
    const table = TableDefinitionSchema.parse(definition);
    const client = this.client();
    try {
      let outcome: 'created' | 'exists';
      const existing = await describe(client, table.tableName);
      if (existing) {
        checkMatches(table, existing);
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
      let startKey: Record<string, AttributeValue> | undefined;
      do {
        const page = await client.send(
          new ScanCommand({
            TableName: tableName,
            FilterExpression: '#ttl <= :now',
            ExpressionAttributeNames: { '#ttl': attribute },
            ExpressionAttributeValues: { ':now': { N: String(nowSeconds) } },
            ...(startKey ? { ExclusiveStartKey: startKey } : {}),
          }),
        );
        for (const item of page.Items ?? []) {
          const key = Object.fromEntries(
            keyNames.flatMap((name) => (item[name] ? [[name, item[name]]] : [])),
          );
          await client.send(new DeleteItemCommand({ TableName: tableName, Key: key }));
          deleted++;
        }
        startKey = page.LastEvaluatedKey;
      } while (startKey);
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

function checkMatches(table: TableDefinition, existing: TableDescription): void {
  const want = JSON.stringify(keySchema(table.partitionKey, table.sortKey));
  const got = JSON.stringify(
    (existing.KeySchema ?? []).map((k) => ({ AttributeName: k.AttributeName, KeyType: k.KeyType })),
  );
  if (want !== got) {
    throw new TableDefinitionMismatchError(
      `Table ${table.tableName} exists with key schema ${got}, expected ${want}`,
    );
  }
  const wantIndexes = (table.globalSecondaryIndexes ?? []).map((i) => i.indexName).sort();
  const gotIndexes = (existing.GlobalSecondaryIndexes ?? [])
    .flatMap((i) => (i.IndexName ? [i.IndexName] : []))
    .sort();
  if (JSON.stringify(wantIndexes) !== JSON.stringify(gotIndexes)) {
    throw new TableDefinitionMismatchError(
      `Table ${table.tableName} exists with indexes [${gotIndexes.join(', ')}], expected [${wantIndexes.join(', ')}]`,
    );
  }
}
