import { type DynamoDBClient, paginateQuery, type QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import {
  RETIRED_ENTRY_TTL_AFTER_DEADLINE_SECONDS,
  RETIRED_PARTITION,
  retiredDueBound,
  retiredEntry,
} from '../../../workflows/campaign/table.ts';
import { awsCall } from '../../../workflows/rotate-device/aws-errors.ts';
import {
  deleteDocument,
  fromAttributeMap,
  putDocument,
  queryDocuments,
} from '../../shared/document-commands.ts';

/** One old certificate kept INACTIVE for its grace period (see `RETIRED_PARTITION`). */
export const RetiredCertificate = z.object({
  entry: z.string().min(1),
  thingName: z.string().min(1),
  certificateId: z.string().regex(/^[0-9a-f]{64}$/, 'a certificate id is 64 hex digits'),
  rotationId: z.string().min(1),
  deleteAfter: z.string().min(1),
});
export type RetiredCertificate = z.infer<typeof RetiredCertificate>;

export interface RetiredCertificateInput {
  readonly thingName: string;
  readonly certificateId: string;
  readonly rotationId: string;
  /** Epoch ms from which the sweeper may delete it. */
  readonly deleteAfter: number;
}

export interface DuePage {
  readonly entries: readonly RetiredCertificate[];
  /** Items under the partition that are not entries (logged and skipped, never deleted blindly). */
  readonly malformed: readonly string[];
}

/** The "delete after" entries of the campaign table: written by retire, read and removed by the sweeper. */
export class RetiredCertificates {
  constructor(
    private readonly db: DynamoDBClient,
    readonly tableName: string,
  ) {}

  /** Idempotent: the same certificate and deadline write the same item. */
  async put(input: RetiredCertificateInput): Promise<void> {
    const deleteAfter = new Date(input.deleteAfter).toISOString();
    await awsCall('PutItem retired certificate', () =>
      this.db.send(
        putDocument({
          TableName: this.tableName,
          Item: {
            campaignId: RETIRED_PARTITION,
            entry: retiredEntry(deleteAfter, input.certificateId),
            thingName: input.thingName,
            certificateId: input.certificateId,
            rotationId: input.rotationId,
            deleteAfter,
            expiresAt: Math.ceil(input.deleteAfter / 1000) + RETIRED_ENTRY_TTL_AFTER_DEADLINE_SECONDS,
          },
        }),
      ),
    );
  }

  /** The entries due at `now`, oldest deadline first, `pageSize` at a time. */
  async *due(now: number, pageSize: number): AsyncGenerator<DuePage> {
    const query = queryDocuments({
      TableName: this.tableName,
      KeyConditionExpression: 'campaignId = :p AND #entry < :bound',
      ExpressionAttributeNames: { '#entry': 'entry' },
      ExpressionAttributeValues: {
        ':p': RETIRED_PARTITION,
        ':bound': retiredDueBound(new Date(now).toISOString()),
      },
      ScanIndexForward: true,
      ConsistentRead: true,
    });
    const pages = paginateQuery({ client: this.db, pageSize }, query.input)[Symbol.asyncIterator]();
    for (;;) {
      const next = await awsCall('Query retired certificates', () => pages.next());
      if (next.done) return;
      yield duePageOf(next.value);
    }
  }

  async remove(entry: string): Promise<void> {
    await awsCall('DeleteItem retired certificate', () =>
      this.db.send(
        deleteDocument({ TableName: this.tableName, Key: { campaignId: RETIRED_PARTITION, entry } }),
      ),
    );
  }
}

function duePageOf(out: QueryCommandOutput): DuePage {
  const entries: RetiredCertificate[] = [];
  const malformed: string[] = [];
  for (const item of (out.Items ?? []).map(fromAttributeMap)) {
    const parsed = RetiredCertificate.safeParse(item);
    if (parsed.success) entries.push(parsed.data);
    else malformed.push(typeof item.entry === 'string' ? item.entry : JSON.stringify(item.entry));
  }
  return { entries, malformed };
}
