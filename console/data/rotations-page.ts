import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Target } from '../../cli/index.ts';
import { batchGetRecords, type PublicRecord, publicRecord } from '../../cli/index.ts';
import { RotationRecord } from '../../workflows/rotate-device/record.ts';
import {
  ROTATION_STATUSES,
  ROTATION_TABLE,
  type RotationStatus,
} from '../../workflows/rotate-device/table.ts';
import { BadRequestError } from '../context.ts';

export const PAGE_SIZE = 50;

export interface RotationsPage {
  readonly status: RotationStatus;
  readonly records: readonly PublicRecord[];
  /** The cursor of the next page, when there is one. */
  readonly next: string | undefined;
}

export function statusParam(text: string | null): RotationStatus {
  if (text === null || text === '') return 'FAILED';
  const found = ROTATION_STATUSES.find((s) => s === text);
  if (!found)
    throw new BadRequestError(`status ${JSON.stringify(text)} is not one of ${ROTATION_STATUSES.join(', ')}`);
  return found;
}

/** A page's position in the byStatus index, opaque to the browser. */
export function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key === undefined ? undefined : Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor(text: string | null): Record<string, string> | undefined {
  if (text === null || text === '') return undefined;
  try {
    const value: unknown = JSON.parse(Buffer.from(text, 'base64url').toString('utf8'));
    if (
      typeof value === 'object' &&
      value !== null &&
      !Array.isArray(value) &&
      Object.values(value).every((v) => typeof v === 'string')
    ) {
      return value as Record<string, string>;
    }
  } catch {
    // Reported below.
  }
  throw new BadRequestError('the page cursor is not one this console gave: go back to the first page');
}

/**
 * One page of the rotations in a status, newest in the status first: one Query of the byStatus
 * index (a page of keys) and one BatchGetItem, whatever the size of the table.
 */
export async function rotationsPage(
  target: Target,
  status: RotationStatus,
  cursor: Record<string, string> | undefined,
): Promise<RotationsPage> {
  const index = ROTATION_TABLE.statusIndex;
  const out = await target.db.send(
    new QueryCommand({
      TableName: target.resources.rotationTableName,
      IndexName: index.name,
      KeyConditionExpression: '#status = :status',
      ExpressionAttributeNames: { '#status': index.partitionKey.name },
      ExpressionAttributeValues: { ':status': status },
      ScanIndexForward: false,
      Limit: PAGE_SIZE,
      ...(cursor ? { ExclusiveStartKey: cursor } : {}),
    }),
  );
  const things = (out.Items ?? []).flatMap((item) =>
    typeof item.thingName === 'string' ? [item.thingName] : [],
  );
  const items = things.length > 0 ? await batchGetRecords(target, things) : new Map();
  const records: PublicRecord[] = [];
  for (const thing of things) {
    const parsed = RotationRecord.safeParse(items.get(thing));
    // A record whose status changed between the two reads is listed under its new status.
    if (parsed.success && parsed.data.status === status) records.push(publicRecord(parsed.data));
  }
  return { status, records, next: encodeCursor(out.LastEvaluatedKey) };
}
