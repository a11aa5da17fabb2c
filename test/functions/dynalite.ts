import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll } from 'vitest';
import { installConditionCheckItem } from '../../local/dynamodb/condition-check-item.ts';
import { CAMPAIGN_TABLE } from '../../workflows/campaign/table.ts';

interface DynaliteServer {
  listen(port: number, host: string, callback: () => void): void;
  address(): AddressInfo | string | null;
  close(callback: () => void): void;
}
// dynalite ships no types; the local DynamoDB module owns its own declaration, so none is shared here.
const dynalite = createRequire(import.meta.url)('dynalite') as (
  options: Record<string, number>,
) => DynaliteServer;

/** A running dynalite on a free port: the client settings that reach it, and its shutdown. */
export interface Dynalite {
  readonly config: {
    endpoint: string;
    region: string;
    credentials: { accessKeyId: string; secretAccessKey: string };
  };
  close(): Promise<void>;
}

export async function startDynalite(): Promise<Dynalite> {
  // As the local DynamoDB serves it: a failed condition can return the item (ALL_OLD).
  installConditionCheckItem();
  const server = dynalite({ createTableMs: 0, deleteTableMs: 0, updateTableMs: 0 });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const address = server.address();
  if (!address || typeof address === 'string') throw new Error('dynalite did not bind a TCP port');
  return {
    config: {
      endpoint: `http://127.0.0.1:${address.port}`,
      region: 'us-east-1',
      credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** Creates a campaign table keyed as the contract says. */
export async function createCampaignTable(db: DynamoDBClient, tableName: string): Promise<void> {
  const t = CAMPAIGN_TABLE;
  await db.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: t.billingMode,
      KeySchema: [
        { AttributeName: t.partitionKey.name, KeyType: 'HASH' },
        { AttributeName: t.sortKey.name, KeyType: 'RANGE' },
      ],
      AttributeDefinitions: [
        { AttributeName: t.partitionKey.name, AttributeType: t.partitionKey.type },
        { AttributeName: t.sortKey.name, AttributeType: t.sortKey.type },
      ],
    }),
  );
}

/**
 * For a describe block: a dynalite with one on-demand table keyed by the string attribute `key`,
 * started before its tests and stopped after. Read `db()` inside the tests.
 */
export function useKeyedTable(tableName: string, key: string): { db(): DynamoDBClient } {
  let server: Dynalite | undefined;
  let client: DynamoDBClient | undefined;
  beforeAll(async () => {
    server = await startDynalite();
    client = new DynamoDBClient(server.config);
    await client.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: key, KeyType: 'HASH' }],
        AttributeDefinitions: [{ AttributeName: key, AttributeType: 'S' }],
      }),
    );
  });
  afterAll(async () => {
    client?.destroy();
    await server?.close();
  });
  return {
    db() {
      if (!client) throw new Error('the table is used outside its describe block');
      return client;
    },
  };
}
