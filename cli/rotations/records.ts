import { QueryCommand, type QueryCommandInput } from '@aws-sdk/lib-dynamodb';
import { RotationRecord, RotationRecordStore } from '../../functions/shared/rotation-record.ts';
import { ROTATION_TABLE, type RotationStatus } from '../../workflows/rotate-device/table.ts';
import type { Target } from '../target/target.ts';

export { RotationRecord };

export interface StatusQuery {
  readonly status: RotationStatus;
  /** Only records updated at or after this ISO time. */
  readonly since?: string | undefined;
  /** Only records of this campaign (audit task id, or `manual`). */
  readonly campaign?: string | undefined;
  /** Most recently updated first (default: least recently updated first). */
  readonly newestFirst?: boolean;
  /** Stop after this many records. */
  readonly limit?: number;
  /** Told about items that do not parse as rotation records; they are skipped, not fatal. */
  readonly onMalformed?: (thingName: string, reason: string) => void;
}

const INDEX = ROTATION_TABLE.statusIndex;

function statusQueryInput(target: Target, q: StatusQuery): QueryCommandInput {
  const names: Record<string, string> = { '#status': INDEX.partitionKey.name };
  const values: Record<string, unknown> = { ':status': q.status };
  let keyCondition = '#status = :status';
  if (q.since !== undefined) {
    names['#updatedAt'] = INDEX.sortKey.name;
    values[':since'] = q.since;
    keyCondition += ' AND #updatedAt >= :since';
  }
  let filter: string | undefined;
  if (q.campaign !== undefined) {
    names['#campaign'] = 'campaign';
    values[':campaign'] = q.campaign;
    filter = '#campaign = :campaign';
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

/** Records of one status from the `byStatus` index, page after page, in `updatedAt` order. */
export async function* queryByStatus(target: Target, q: StatusQuery): AsyncGenerator<RotationRecord> {
  const input = statusQueryInput(target, q);
  let startKey: Record<string, unknown> | undefined;
  let yielded = 0;
  do {
    const out = await target.db.send(
      new QueryCommand({ ...input, ...(startKey !== undefined ? { ExclusiveStartKey: startKey } : {}) }),
    );
    for (const item of out.Items ?? []) {
      const parsed = RotationRecord.safeParse(item);
      if (!parsed.success) {
        const thing = typeof item.thingName === 'string' ? item.thingName : '(no thingName)';
        q.onMalformed?.(thing, parsed.error.issues[0]?.message ?? parsed.error.message);
        continue;
      }
      yield parsed.data;
      yielded += 1;
      if (q.limit !== undefined && yielded >= q.limit) return;
    }
    startKey = out.LastEvaluatedKey;
  } while (startKey !== undefined);
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
  campaign?: string,
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
export function getRecord(target: Target, thingName: string): Promise<RotationRecord | undefined> {
  return new RotationRecordStore(target.db, target.resources.rotationTableName).get(thingName);
}
