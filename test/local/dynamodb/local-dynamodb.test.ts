import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ConditionalCheckFailedException,
  DescribeTableCommand,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { LocalDynamoDb, TableDefinitionMismatchError } from '../../../local/dynamodb/local-dynamodb.ts';
import type { TableDefinition } from '../../../local/dynamodb/table-definition.ts';
import { rotationTableDefinition, withStatusSince } from '../../../local/stack/resources.ts';
import { OLDER_ROTATION_TABLE as OLD } from './older-rotation-table.ts';

/** A table with a time-to-live attribute and an index sorted by a number. */
const ROTATIONS: TableDefinition = {
  ...OLD,
  globalSecondaryIndexes: [
    {
      indexName: 'by-status',
      partitionKey: { name: 'status', type: 'S' },
      sortKey: { name: 'updatedAt', type: 'N' },
    },
  ],
};

let stateDir: string;
let db: LocalDynamoDb;

beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'recert-dynamodb-'));
  db = new LocalDynamoDb({ stateDir });
  await db.start();
});

afterEach(async () => {
  await db.close();
  await rm(stateDir, { recursive: true, force: true });
});

/** Ensures today's rotation table over the older one's name, adding statusSince to the items it migrates. */
const ensureMigratedRotations = () =>
  db.ensureTable(rotationTableDefinition(OLD.tableName), { migrateItem: withStatusSince });

/** Closes the local DynamoDB and starts another on the same state directory, as a restart does. */
async function restart(): Promise<void> {
  await db.close();
  db = new LocalDynamoDb({ stateDir });
  await db.start();
}

describe('local DynamoDB (dynalite)', () => {
  it('creates a table with its index idempotently and refuses a conflicting definition', async () => {
    // Act
    const first = await db.ensureTable(ROTATIONS);
    const second = await db.ensureTable(ROTATIONS);
    const conflict = await db
      .ensureTable({ ...ROTATIONS, partitionKey: { name: 'rotationId', type: 'S' } })
      .catch((e: unknown) => e);
    const client = db.client();
    const described = await client.send(new DescribeTableCommand({ TableName: ROTATIONS.tableName }));
    client.destroy();
    // Assess
    expect([first, second]).toEqual(['created', 'exists']);
    expect(conflict).toBeInstanceOf(TableDefinitionMismatchError);
    expect(described.Table?.TableStatus).toBe('ACTIVE');
    expect(described.Table?.GlobalSecondaryIndexes?.map((i) => i.IndexName)).toEqual(['by-status']);
    expect(db.timeToLiveAttribute(ROTATIONS.tableName)).toBe('expiresAt');
  });

  it('keeps data, tables and the TTL attribute across a restart', async () => {
    // Prepare
    await db.ensureTable(ROTATIONS);
    let doc = DynamoDBDocumentClient.from(db.client());
    await doc.send(
      new PutCommand({
        TableName: ROTATIONS.tableName,
        Item: { thingName: 't1', status: 'RUNNING', updatedAt: 1 },
      }),
    );
    doc.destroy();
    // Act
    await restart();
    const again = await db.ensureTable(ROTATIONS);
    doc = DynamoDBDocumentClient.from(db.client());
    const item = await doc.send(new GetCommand({ TableName: ROTATIONS.tableName, Key: { thingName: 't1' } }));
    const byStatus = await doc.send(
      new QueryCommand({
        TableName: ROTATIONS.tableName,
        IndexName: 'by-status',
        KeyConditionExpression: '#s = :s',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':s': 'RUNNING' },
      }),
    );
    doc.destroy();
    // Assess
    expect(again).toBe('exists');
    expect(item.Item).toEqual({ thingName: 't1', status: 'RUNNING', updatedAt: 1 });
    expect(byStatus.Items?.map((i) => i.thingName)).toEqual(['t1']);
    expect(db.timeToLiveAttribute(ROTATIONS.tableName)).toBe('expiresAt');
  });

  it('enforces conditional writes as DynamoDB does', async () => {
    await db.ensureTable(ROTATIONS);
    const doc = DynamoDBDocumentClient.from(db.client());
    const claim = () =>
      doc.send(
        new PutCommand({
          TableName: ROTATIONS.tableName,
          Item: { thingName: 't1', status: 'RUNNING', updatedAt: 1 },
          ConditionExpression: 'attribute_not_exists(thingName)',
        }),
      );
    await claim();
    const second = await claim().catch((e: unknown) => e);
    doc.destroy();
    expect(second).toBeInstanceOf(ConditionalCheckFailedException);
  });

  it('deletes items whose TTL time has passed on the clock, and only those', async () => {
    // Prepare
    const clock = new ManualClock(Date.UTC(2026, 0, 1));
    const now = Math.floor(clock.now() / 1000);
    await db.ensureTable(ROTATIONS);
    const doc = DynamoDBDocumentClient.from(db.client());
    for (const [thingName, expiresAt] of [
      ['old', now - 1],
      ['due', now],
      ['later', now + 60],
    ] as const) {
      await doc.send(new PutCommand({ TableName: ROTATIONS.tableName, Item: { thingName, expiresAt } }));
    }
    await doc.send(new PutCommand({ TableName: ROTATIONS.tableName, Item: { thingName: 'no-ttl' } }));
    // Act
    const deleted = await db.expireItems(ROTATIONS.tableName, clock);
    const left = await Promise.all(
      ['old', 'due', 'later', 'no-ttl'].map(async (thingName) =>
        (await doc.send(new GetCommand({ TableName: ROTATIONS.tableName, Key: { thingName } }))).Item
          ? thingName
          : undefined,
      ),
    );
    doc.destroy();
    // Assess
    expect(deleted).toBe(2);
    expect(left.filter(Boolean)).toEqual(['later', 'no-ttl']);
  });
});

describe('a rotation table from an older state directory', () => {
  const OLD_RECORDS = [
    {
      thingName: 'busy',
      status: 'IN_PROGRESS',
      campaign: 'manual',
      startedAt: '2026-01-01T00:00:00.000Z',
      updatedAt: '2026-01-01T00:05:00.000Z',
    },
    {
      thingName: 'done',
      status: 'SUCCEEDED',
      campaign: 'audit-1',
      startedAt: '2026-01-02T00:00:00.000Z',
      completedAt: '2026-01-02T00:09:00.000Z',
      updatedAt: '2026-01-02T00:09:00.000Z',
      expiresAt: 1_900_000_000,
    },
  ];
  const byStatus = async (doc: DynamoDBDocumentClient, status: string) =>
    (
      await doc.send(
        new QueryCommand({
          TableName: OLD.tableName,
          IndexName: 'byStatus',
          KeyConditionExpression: '#s = :s',
          ExpressionAttributeNames: { '#s': 'status' },
          ExpressionAttributeValues: { ':s': status },
        }),
      )
    ).Items;

  it('is rebuilt with the new index and its items, which get statusSince, and survives restarts', async () => {
    // Prepare
    await db.ensureTable(OLD);
    let doc = DynamoDBDocumentClient.from(db.client());
    for (const Item of OLD_RECORDS) await doc.send(new PutCommand({ TableName: OLD.tableName, Item }));
    doc.destroy();
    // Act
    await restart();
    const outcome = await ensureMigratedRotations();
    const client = db.client();
    const described = await client.send(new DescribeTableCommand({ TableName: OLD.tableName }));
    const tables = await client.send(new ListTablesCommand({}));
    client.destroy();
    doc = DynamoDBDocumentClient.from(db.client());
    const busy = await byStatus(doc, 'IN_PROGRESS');
    const done = await doc.send(new GetCommand({ TableName: OLD.tableName, Key: { thingName: 'done' } }));
    doc.destroy();
    await restart();
    const again = await ensureMigratedRotations();
    // Assess
    expect(outcome).toBe('rebuilt');
    expect(
      described.Table?.GlobalSecondaryIndexes?.map((i) => [i.IndexName, i.KeySchema, i.Projection]),
    ).toEqual([
      [
        'byStatus',
        [
          { AttributeName: 'status', KeyType: 'HASH' },
          { AttributeName: 'statusSince', KeyType: 'RANGE' },
        ],
        { ProjectionType: 'INCLUDE', NonKeyAttributes: ['campaign'] },
      ],
    ]);
    expect(tables.TableNames).toEqual([OLD.tableName]);
    // The index now holds only keys and the campaign; an in-progress record entered its status when claimed.
    expect(busy).toEqual([
      {
        thingName: 'busy',
        status: 'IN_PROGRESS',
        statusSince: '2026-01-01T00:00:00.000Z',
        campaign: 'manual',
      },
    ]);
    expect(done.Item).toEqual({ ...OLD_RECORDS[1], statusSince: '2026-01-02T00:09:00.000Z' });
    expect(again).toBe('exists');
    expect(db.timeToLiveAttribute(OLD.tableName)).toBe('expiresAt');
  });

  it('finishes a rebuild that stopped after its backup was complete', async () => {
    // Prepare: the state a stopped rebuild leaves, the table deleted and its items in the backup.
    await db.ensureTable({
      tableName: `${OLD.tableName}.rebuild`,
      partitionKey: OLD.partitionKey,
    });
    const doc = DynamoDBDocumentClient.from(db.client());
    for (const Item of OLD_RECORDS) {
      await doc.send(new PutCommand({ TableName: `${OLD.tableName}.rebuild`, Item }));
    }
    // Act
    const outcome = await ensureMigratedRotations();
    const client = db.client();
    const tables = await client.send(new ListTablesCommand({}));
    client.destroy();
    const failedOrDone = await byStatus(doc, 'SUCCEEDED');
    doc.destroy();
    // Assess
    expect(outcome).toBe('rebuilt');
    expect(tables.TableNames).toEqual([OLD.tableName]);
    expect(failedOrDone?.map((i) => i.thingName)).toEqual(['done']);
  });
});
