import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { IoTClient } from '@aws-sdk/client-iot';
import { SFNClient } from '@aws-sdk/client-sfn';
import { BatchWriteCommand, DynamoDBDocumentClient, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { OperationFailedError } from '../../cli/errors.ts';
import { batchGetRecords } from '../../cli/rotations/batch-get.ts';
import { collect, countByStatus, queryByStatus } from '../../cli/rotations/records.ts';
import type { Target } from '../../cli/target/target.ts';
import { LOCAL_REGION } from '../../local/config.ts';
import { LocalDynamoDb } from '../../local/dynamodb/local-dynamodb.ts';
import { rotationTableDefinition } from '../../local/stack/resources.ts';

const TABLE = 'recert-rotations';
const since = (i: number): string => new Date(Date.UTC(2026, 5, 1, 12, 0, i)).toISOString();

let dynamo: LocalDynamoDb;
let raw: DynamoDBClient;
let db: DynamoDBDocumentClient;
let target: Target;
/** The key lists of the BatchGetItem calls sent, with their consistency. */
let batchGets: { keys: number; consistent: boolean }[];

const BatchGetInput = z.object({
  RequestItems: z.record(
    z.string(),
    z.object({ Keys: z.array(z.unknown()), ConsistentRead: z.boolean().optional() }),
  ),
});

beforeEach(async () => {
  dynamo = new LocalDynamoDb();
  await dynamo.start();
  await dynamo.ensureTable(rotationTableDefinition(TABLE));
  raw = dynamo.client();
  db = DynamoDBDocumentClient.from(raw);
  batchGets = [];
  db.middlewareStack.add(
    (next) => async (args) => {
      const parsed = BatchGetInput.safeParse(args.input);
      const request = parsed.success ? parsed.data.RequestItems[TABLE] : undefined;
      if (request) batchGets.push({ keys: request.Keys.length, consistent: request.ConsistentRead === true });
      return next(args);
    },
    { step: 'initialize', name: 'countBatchGets' },
  );
  target = {
    kind: 'local',
    resources: {
      region: LOCAL_REGION,
      stateMachineArn: 'arn:aws:states:us-east-1:000000000000:stateMachine:recert-rotate-device',
      rotationTableName: TABLE,
      escalationTopicArn: 'arn:aws:sns:us-east-1:000000000000:recert-escalations',
      auditTopicArn: 'arn:aws:sns:us-east-1:000000000000:recert-audit-notifications',
    },
    sfn: new SFNClient({ region: LOCAL_REGION }),
    iot: new IoTClient({ region: LOCAL_REGION }),
    dynamodb: raw,
    db,
    consoleLink: () => undefined,
    close: () => undefined,
  };
});

afterEach(async () => {
  db.destroy();
  await dynamo.close();
});

/** Records thing-000 ... in `status`, entered in that order (thing-000 first), the odd ones of campaign B. */
async function putRecords(count: number, status: string, offset = 0): Promise<string[]> {
  const things = Array.from({ length: count }, (_, i) => `thing-${String(offset + i).padStart(3, '0')}`);
  const items = things.map((thingName, i) => ({
    thingName,
    status,
    statusSince: since(offset + i),
    phase: 'AWAITING_CSR',
    executionArn: `arn:aws:states:us-east-1:000000000000:execution:recert-rotate-device:${thingName}`,
    oldCertificateId: 'a'.repeat(64),
    campaign: (offset + i) % 2 === 0 ? 'A' : 'B',
    // updatedAt in the opposite order: the listing must not follow it.
    updatedAt: since(10_000 - offset - i),
    taskToken: 't'.repeat(600),
  }));
  for (let i = 0; i < items.length; i += 25) {
    await db.send(
      new BatchWriteCommand({
        RequestItems: { [TABLE]: items.slice(i, i + 25).map((Item) => ({ PutRequest: { Item } })) },
      }),
    );
  }
  return things;
}

describe('listing by status: keys from the index, records with BatchGetItem', () => {
  it('reads more than 100 records in index order, at most 100 strongly consistent keys a call', async () => {
    // Prepare
    const inProgress = await putRecords(250, 'IN_PROGRESS');
    await putRecords(5, 'FAILED', 300);
    // Act
    const oldestFirst = await collect(queryByStatus(target, { status: 'IN_PROGRESS' }));
    const calls = batchGets.splice(0);
    const newestFirst = await collect(queryByStatus(target, { status: 'IN_PROGRESS', newestFirst: true }));
    const campaignB = await collect(queryByStatus(target, { status: 'IN_PROGRESS', campaign: 'B' }));
    const sinceFilter = await collect(queryByStatus(target, { status: 'IN_PROGRESS', since: since(240) }));
    batchGets.splice(0);
    const firstFive = await collect(queryByStatus(target, { status: 'IN_PROGRESS', limit: 5 }));
    const limitedCalls = batchGets.splice(0);
    // Assess
    expect(oldestFirst.map((r) => r.thingName)).toEqual(inProgress);
    expect(oldestFirst.every((r) => r.taskToken?.length === 600)).toBe(true);
    expect(calls).toEqual([
      { keys: 100, consistent: true },
      { keys: 100, consistent: true },
      { keys: 50, consistent: true },
    ]);
    expect(newestFirst.map((r) => r.thingName)).toEqual([...inProgress].reverse());
    expect(campaignB.map((r) => r.thingName)).toEqual(inProgress.filter((_, i) => i % 2 === 1));
    expect(sinceFilter.map((r) => r.thingName)).toEqual(inProgress.slice(240));
    expect(firstFive.map((r) => r.thingName)).toEqual(inProgress.slice(0, 5));
    expect(limitedCalls).toEqual([{ keys: 5, consistent: true }]);
    expect(await countByStatus(target, 'IN_PROGRESS')).toBe(250);
    expect(await countByStatus(target, 'IN_PROGRESS', 'B')).toBe(125);
    expect(await countByStatus(target, 'FAILED')).toBe(5);
  });

  it('skips a record whose status changed between the index and the record read: it is listed under the new one', async () => {
    // Prepare: thing-003 fails after the index was read, before its record is.
    const things = await putRecords(8, 'IN_PROGRESS');
    let moved = false;
    db.middlewareStack.add(
      (next) => async (args) => {
        if (!moved && BatchGetInput.safeParse(args.input).success) {
          moved = true;
          const other = DynamoDBDocumentClient.from(dynamo.client());
          await other.send(
            new UpdateCommand({
              TableName: TABLE,
              Key: { thingName: 'thing-003' },
              UpdateExpression: 'SET #status = :failed, statusSince = :now',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':failed': 'FAILED', ':now': since(9_000) },
            }),
          );
          other.destroy();
        }
        return next(args);
      },
      { step: 'initialize', name: 'failOneBetweenReads' },
    );
    // Act
    const inProgress = await collect(queryByStatus(target, { status: 'IN_PROGRESS' }));
    const failed = await collect(queryByStatus(target, { status: 'FAILED' }));
    // Assess
    expect(moved).toBe(true);
    expect(inProgress.map((r) => r.thingName)).toEqual(things.filter((t) => t !== 'thing-003'));
    expect(failed.map((r) => [r.thingName, r.status])).toEqual([['thing-003', 'FAILED']]);
  });

  it('asks again for the keys DynamoDB left unprocessed, with a jittered backoff, and gives up by name', async () => {
    // Prepare: the first answer of each call series holds only the first half of its keys.
    const things = await putRecords(40, 'IN_PROGRESS');
    let throttled = 0;
    db.middlewareStack.add(
      (next) => async (args) => {
        const out = await next(args);
        const parsed = BatchGetInput.safeParse(args.input);
        const keys = parsed.success ? (parsed.data.RequestItems[TABLE]?.Keys ?? []) : [];
        const output = z
          .object({ output: z.object({ Responses: z.record(z.string(), z.array(z.unknown())) }) })
          .safeParse(out);
        if (keys.length > 1 && output.success && throttled < 1) {
          throttled += 1;
          const half = keys.slice(Math.ceil(keys.length / 2));
          const held = new Set(half.map((k) => JSON.stringify(k)));
          const responses = output.data.output.Responses[TABLE] ?? [];
          const kept = responses.filter(
            (item) =>
              !held.has(
                JSON.stringify({ thingName: z.object({ thingName: z.unknown() }).parse(item).thingName }),
              ),
          );
          Object.assign(out.output, {
            Responses: { [TABLE]: kept },
            UnprocessedKeys: { [TABLE]: { Keys: half } },
          });
        }
        return out;
      },
      { step: 'initialize', name: 'leaveHalfUnprocessed' },
    );
    const delays: number[] = [];
    // Act
    const records = await collect(
      queryByStatus(target, {
        status: 'IN_PROGRESS',
        batchGet: {
          random: () => {
            delays.push(1);
            return 0;
          },
        },
      }),
    );
    const calls = batchGets.splice(0);
    throttled = -100;
    const exhausted = await batchGetRecords(target, things, { maxAttempts: 3, random: () => 0 }).catch(
      (e: unknown) => e,
    );
    // Assess
    expect(records.map((r) => r.thingName)).toEqual(things);
    expect(calls.map((c) => c.keys)).toEqual([40, 20]);
    expect(delays).toHaveLength(1);
    expect(exhausted).toBeInstanceOf(OperationFailedError);
    expect(String(exhausted)).toContain('unread after 3 BatchGetItem calls');
  });
});
