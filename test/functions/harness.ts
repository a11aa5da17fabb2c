import { randomUUID } from 'node:crypto';
import { CreateTableCommand, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { afterAll, beforeAll } from 'vitest';
import {
  type AttributeMap,
  fromAttributeMap,
  getDocument,
  putDocument,
  toAttributeMap,
} from '../../functions/shared/document-commands.ts';
import type { Counter, Log } from '../../functions/shared/observability.ts';
import { RotationRecord, RotationRecordStore } from '../../functions/shared/rotation-record.ts';
import { ROTATION_TABLE } from '../../workflows/rotate-device/table.ts';
import type { RequestCsrInput } from '../../workflows/rotate-device/types.ts';
import { startDynalite } from './dynalite.ts';
import { EXECUTION_ARN, NOW, OLD_CERT_ID, ROTATION_ID, THING } from './rotation-ids.ts';

export * from './rotation-ids.ts';

/** A real local DynamoDB (dynalite) with the rotation table created from the contract. */
export interface TableHarness {
  /** The functions' client (middleware cached). */
  readonly db: DynamoDBClient;
  /** A document client on a client of its own, as the CLI uses. */
  readonly documents: DynamoDBDocumentClient;
  readonly tableName: string;
  readonly store: RotationRecordStore;
  put(record: RotationRecord): Promise<void>;
  read(thingName: string): Promise<RotationRecord | undefined>;
  close(): Promise<void>;
}

export async function startTable(): Promise<TableHarness> {
  const server = await startDynalite();
  const { config } = server;
  const raw = new DynamoDBClient(config);
  const tableName = `rotations-${randomUUID().slice(0, 8)}`;
  const t = ROTATION_TABLE;
  await raw.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      KeySchema: [{ AttributeName: t.partitionKey.name, KeyType: 'HASH' }],
      AttributeDefinitions: [
        { AttributeName: t.partitionKey.name, AttributeType: t.partitionKey.type },
        { AttributeName: t.statusIndex.partitionKey.name, AttributeType: t.statusIndex.partitionKey.type },
        { AttributeName: t.statusIndex.sortKey.name, AttributeType: t.statusIndex.sortKey.type },
      ],
      GlobalSecondaryIndexes: [
        {
          IndexName: t.statusIndex.name,
          KeySchema: [
            { AttributeName: t.statusIndex.partitionKey.name, KeyType: 'HASH' },
            { AttributeName: t.statusIndex.sortKey.name, KeyType: 'RANGE' },
          ],
          Projection: {
            ProjectionType: t.statusIndex.projection.type,
            NonKeyAttributes: [...t.statusIndex.projection.nonKeyAttributes],
          },
        },
      ],
    }),
  );
  // As the functions build theirs: the middleware cached.
  const db = new DynamoDBClient({ ...config, cacheMiddleware: true });
  return {
    db,
    documents: DynamoDBDocumentClient.from(raw, { marshallOptions: { removeUndefinedValues: true } }),
    tableName,
    store: new RotationRecordStore(db, tableName),
    async put(record) {
      await db.send(putDocument({ TableName: tableName, Item: record }));
    },
    async read(thingName) {
      const out = await db.send(
        getDocument({ TableName: tableName, Key: { thingName }, ConsistentRead: true }),
      );
      return out.Item ? RotationRecord.parse(fromAttributeMap(out.Item)) : undefined;
    },
    async close() {
      raw.destroy();
      db.destroy();
      await server.close();
    },
  };
}

/** The file's table: started before its tests run and closed after them. */
export function useTable(): TableHarness {
  let started: TableHarness | undefined;
  const table = (): TableHarness => {
    if (!started) throw new Error('the table starts in beforeAll; use it inside a test or hook');
    return started;
  };
  beforeAll(async () => {
    started = await startTable();
  });
  afterAll(async () => {
    await started?.close();
  });
  return {
    get db() {
      return table().db;
    },
    get documents() {
      return table().documents;
    },
    get tableName() {
      return table().tableName;
    },
    get store() {
      return table().store;
    },
    put: (record) => table().put(record),
    read: (thingName) => table().read(thingName),
    close: () => table().close(),
  };
}

export function lambdaContext(functionName: string): Context {
  return {
    callbackWaitsForEmptyEventLoop: false,
    functionName,
    functionVersion: '$LATEST',
    invokedFunctionArn: `arn:aws:lambda:us-east-1:000000000000:function:${functionName}`,
    memoryLimitInMB: '256',
    awsRequestId: randomUUID(),
    logGroupName: `/aws/lambda/${functionName}`,
    logStreamName: 'test',
    getRemainingTimeInMillis: () => 30_000,
    done: () => undefined,
    fail: () => undefined,
    succeed: () => undefined,
  };
}

/** Records what a domain module counted and logged, for assertions. */
export function recorders(): { counter: Counter; log: Log; counts: string[]; lines: string[] } {
  const counts: string[] = [];
  const lines: string[] = [];
  return {
    counts,
    lines,
    counter: {
      count(metric, dimensions) {
        counts.push(dimensions ? `${metric}:${Object.values(dimensions).join(',')}` : metric);
      },
    },
    log: {
      info: (message, fields) => lines.push(JSON.stringify({ level: 'info', message, ...fields })),
      warn: (message, fields) => lines.push(JSON.stringify({ level: 'warn', message, ...fields })),
      error: (message, fields) => lines.push(JSON.stringify({ level: 'error', message, ...fields })),
    },
  };
}

export const clock = { now: (): number => NOW };

/** A record as the ClaimThing state leaves it. */
export function claimedRecord(overrides: Partial<RotationRecord> = {}): RotationRecord {
  return {
    thingName: THING,
    status: 'IN_PROGRESS',
    phase: 'CLAIMED',
    executionArn: EXECUTION_ARN,
    oldCertificateId: OLD_CERT_ID,
    campaign: 'audit-1',
    attempt: 1,
    startedAt: new Date(NOW).toISOString(),
    updatedAt: new Date(NOW).toISOString(),
    ...overrides,
  };
}

/** The request-csr step's input as the state machine passes it: the first attempt of the rotation. */
export function csrRequestInput(overrides: Partial<RequestCsrInput> = {}): RequestCsrInput {
  return {
    taskToken: 'token-1',
    thingName: THING,
    executionArn: EXECUTION_ARN,
    rotationId: ROTATION_ID,
    attempt: 1,
    maxAttempts: 3,
    previousError: null,
    ...overrides,
  };
}

/** A refused write, with the record as DynamoDB found it (ReturnValuesOnConditionCheckFailure ALL_OLD). */
export function conditionFailed(found: RotationRecord): Error {
  return Object.assign(new Error('The conditional request failed'), {
    name: 'ConditionalCheckFailedException',
    $metadata: { httpStatusCode: 400 },
    Item: toAttributeMap(found),
  });
}

/** What a mocked IoT data-plane client was asked to publish, each payload as the device reads it. */
export function publishedMessages(
  inputs: readonly { topic?: string | undefined; payload?: unknown }[],
): { topic: string | undefined; payload: unknown }[] {
  return inputs.map(({ topic, payload }) => {
    const text =
      typeof payload === 'string'
        ? payload
        : payload instanceof Uint8Array
          ? new TextDecoder().decode(payload)
          : undefined;
    if (text === undefined) throw new Error(`a payload published to ${topic} is neither bytes nor text`);
    return { topic, payload: JSON.parse(text) };
  });
}

/**
 * A DynamoDB command's input with its key, item, values and start key as plain values, so that a test
 * can compare what a store sent with the values it meant.
 */
export function plainInput<T extends object>(input: T | undefined): Record<string, unknown> | undefined {
  if (input === undefined) return undefined;
  const converted = new Set(['Key', 'Item', 'ExpressionAttributeValues', 'ExclusiveStartKey']);
  return Object.fromEntries(
    Object.entries(input).map(([field, value]) => [
      field,
      converted.has(field) && isAttributeMap(value) ? fromAttributeMap(value) : value,
    ]),
  );
}

function isAttributeMap(value: unknown): value is AttributeMap {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
