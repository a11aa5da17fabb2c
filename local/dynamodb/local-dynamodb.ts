import { mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import {
  CreateTableCommand,
  DeleteItemCommand,
  DynamoDBClient,
  paginateScan,
  ResourceInUseException,
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
import { checkKeys, createTableInput, describe, indexesMatch, waitActive } from './table-admin.ts';
import { type TableDefinition, TableDefinitionSchema } from './table-definition.ts';
import { backupNameOf, type EnsureTableOptions, rebuild } from './table-rebuild.ts';

export { TableDefinitionMismatchError } from './table-admin.ts';
export type { DynamoItem, EnsureTableOptions } from './table-rebuild.ts';

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
