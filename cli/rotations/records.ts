import { GetCommand, QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { parseRotationRecord, RotationRecord } from '../../workflows/rotate-device/record.ts';
import { ROTATION_TABLE, type RotationStatus } from '../../workflows/rotate-device/table.ts';
import type { Target } from '../target/target.ts';
import { BATCH_GET_MAX_KEYS, type BatchGetOptions, batchGetRecords } from './batch-get.ts';

export { RotationRecord };

export interface StatusQuery {
  readonly status: RotationStatus;
  /** Only records in this status since this ISO time or later. */
  readonly since?: string | undefined;
  /** Only records of this campaign (`audit-<taskId>`, `manual`), or of any of these campaigns. */
  readonly campaign?: string | readonly string[] | undefined;
  /** Most recently entered the status first (default: longest in the status first). */
  readonly newestFirst?: boolean;
  /** Stop after this many records. */
  readonly limit?: number;
  /** Told about items that do not parse as rotation records; they are skipped, not fatal. */
  readonly onMalformed?: (thingName: string, reason: string) => void;
  /** How the records are fetched (the retry of unprocessed keys). */
  readonly batchGet?: BatchGetOptions;
}

const INDEX = ROTATION_TABLE.statusIndex;

function campaignList(campaign: StatusQuery['campaign']): readonly string[] | undefined {
  if (campaign === undefined) return undefined;
  return typeof campaign === 'string' ? [campaign] : campaign;
}

function statusQueryInput(target: Target, q: StatusQuery): QueryCommandInput {
  const names: Record<string, string> = { '#status': INDEX.partitionKey.name };
  const values: Record<string, unknown> = { ':status': q.status };
  let keyCondition = '#status = :status';
  if (q.since !== undefined) {
    names['#since'] = INDEX.sortKey.name;
    values[':since'] = q.since;
    keyCondition += ' AND #since >= :since';
  }
  let filter: string | undefined;
  const campaigns = campaignList(q.campaign);
  if (campaigns !== undefined) {
    names['#campaign'] = 'campaign';
    campaigns.forEach((c, i) => {
      values[`:campaign${i}`] = c;
    });
    filter = `#campaign IN (${campaigns.map((_, i) => `:campaign${i}`).join(', ')})`;
  }
  return {
    TableName: target.resources.rotationTableName,
    IndexName: INDEX.name,
    KeyConditionExpression: keyCondition,
    ...(filter !== undefined ? { FilterExpression: filter } : {}),
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: values,
    ScanIndexForward: q.newestFirst !== true,
  };
}

/** The index's entries of one status, page after page: thing names in `statusSince` order. */
async function* indexPages(target: Target, q: StatusQuery): AsyncGenerator<string[]> {
  const input = statusQueryInput(target, q);
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await target.db.send(
      new QueryCommand({ ...input, ...(startKey !== undefined ? { ExclusiveStartKey: startKey } : {}) }),
    );
    const things = (out.Items ?? []).flatMap((item) =>
      typeof item.thingName === 'string' ? [item.thingName] : [],
    );
    if (things.length > 0) yield things;
    startKey = out.LastEvaluatedKey;
  } while (startKey !== undefined);
}

/**
 * Records of one status, in the `byStatus` index's order (when they entered the status). The index
 * holds only the keys and the campaign, so the records are read with BatchGetItem (strongly
 * consistent, 100 a call). A record whose status changed between the two reads is skipped: it is
 * listed under its new status.
 */
export async function* queryByStatus(target: Target, q: StatusQuery): AsyncGenerator<RotationRecord> {
  let yielded = 0;
  for await (const page of indexPages(target, q)) {
    for (let i = 0; i < page.length; ) {
      // With a limit, no more records are read than could still be listed.
      const size = Math.min(
        BATCH_GET_MAX_KEYS,
        q.limit !== undefined ? q.limit - yielded : BATCH_GET_MAX_KEYS,
      );
      const chunk = page.slice(i, i + size);
      i += chunk.length;
      const items = await batchGetRecords(target, chunk, q.batchGet);
      for (const thingName of chunk) {
        const item = items.get(thingName);
        if (item === undefined) continue;
        const parsed = RotationRecord.safeParse(item);
        if (!parsed.success) {
          q.onMalformed?.(thingName, parsed.error.issues[0]?.message ?? parsed.error.message);
          continue;
        }
        const record = parsed.data;
        if (record.status !== q.status) continue;
        const campaigns = campaignList(q.campaign);
        if (campaigns !== undefined && !campaigns.includes(record.campaign ?? '')) continue;
        yield record;
        yielded += 1;
        if (q.limit !== undefined && yielded >= q.limit) return;
      }
    }
  }
}

export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

/** How many records have this status (a COUNT query of the index: no items are transferred). */
export async function countByStatus(
  target: Target,
  status: RotationStatus,
  campaign?: string | readonly string[],
): Promise<number> {
  const input = statusQueryInput(target, { status, campaign });
  let count = 0;
  let startKey: Record<string, unknown> | undefined;
  do {
    const out = await target.db.send(
      new QueryCommand({
        ...input,
        Select: 'COUNT',
        ...(startKey !== undefined ? { ExclusiveStartKey: startKey } : {}),
      }),
    );
    count += out.Count ?? 0;
    startKey = out.LastEvaluatedKey;
  } while (startKey !== undefined);
  return count;
}

/** The record of one thing (strongly consistent), or undefined when the thing never rotated. */
export async function getRecord(target: Target, thingName: string): Promise<RotationRecord | undefined> {
  const out = await target.db.send(
    new GetCommand({
      TableName: target.resources.rotationTableName,
      Key: { thingName },
      ConsistentRead: true,
    }),
  );
  return out.Item ? parseRotationRecord(thingName, out.Item) : undefined;
}
