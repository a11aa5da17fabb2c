import { BatchWriteItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { type Clock, sleepFor } from '../../lib/clock.ts';
import { RecertCampaignCorrupt } from '../../workflows/campaign/errors.ts';
import type { PacingSettings } from '../../workflows/campaign/pacing.ts';
import { CAMPAIGN_STATUSES, META_ENTRY, queueEntry, queuePosition } from '../../workflows/campaign/table.ts';
import { QueuedRotation } from '../../workflows/campaign/types.ts';
import { awsCall, isNamed } from '../../workflows/rotate-device/aws-errors.ts';
import { TransientAwsError } from '../../workflows/rotate-device/errors.ts';
import {
  type AttributeMap,
  fromAttributeMap,
  getDocument,
  queryDocuments,
  toAttributeMap,
  type UpdateDocumentInput,
  updateDocument,
} from './document-commands.ts';

const count = z.number().int().default(0);

/** The META item of a campaign, as stored (see workflows/campaign/table.ts). */
export const CampaignMeta = z.object({
  campaignId: z.string(),
  status: z.enum(CAMPAIGN_STATUSES),
  source: z.object({ kind: z.enum(['audit', 'manual']) }).passthrough(),
  createdAt: z.string(),
  enqueueCursor: z.object({
    checkIndex: z.number().int().min(0),
    page: z.number().int().min(0),
    nextToken: z.string().optional(),
  }),
  enqueueDone: z.boolean().default(false),
  nextPosition: z.number().int().min(0),
  generation: z.number().int().min(0).default(0),
  queued: count,
  started: count,
  alreadyStarted: count,
  skipped: count,
  succeeded: count,
  failed: count,
  parked: count,
  stopReason: z.string().optional(),
  stoppedAt: z.string().optional(),
  resumedAt: z.string().optional(),
  baselineSucceeded: count,
  baselineFailed: count,
});
export type CampaignMeta = z.infer<typeof CampaignMeta>;
export type EnqueueCursor = CampaignMeta['enqueueCursor'];

/** A cursor moved from where the caller read it to past the work it did, with the items it skipped. */
interface CursorMove<Cursor> {
  readonly campaignId: string;
  readonly from: Cursor;
  readonly to: Cursor;
  readonly skipped: number;
  readonly now: number;
}

const iso = (ms: number): string => new Date(ms).toISOString();
const BATCH_WRITE_MAX = 25;
const UNPROCESSED_RETRIES = 8;

type PutRequest = { PutRequest: { Item: AttributeMap } };

/** Reads and moves a campaign's META item and queue; every move is one conditional write. */
export class CampaignStore {
  constructor(
    private readonly db: DynamoDBClient,
    readonly tableName: string,
  ) {}

  private key(campaignId: string): { campaignId: string; entry: string } {
    return { campaignId, entry: META_ENTRY };
  }

  private async conditional(label: string, input: Omit<UpdateDocumentInput, 'TableName'>): Promise<boolean> {
    try {
      await awsCall(label, () => this.db.send(updateDocument({ TableName: this.tableName, ...input })));
      return true;
    } catch (error) {
      if (isNamed(error, 'ConditionalCheckFailedException')) return false;
      throw error;
    }
  }

  async getMeta(campaignId: string): Promise<CampaignMeta | undefined> {
    const out = await awsCall('GetItem campaign META', () =>
      this.db.send(
        getDocument({ TableName: this.tableName, Key: this.key(campaignId), ConsistentRead: true }),
      ),
    );
    if (!out.Item) return undefined;
    const parsed = CampaignMeta.safeParse(fromAttributeMap(out.Item));
    if (!parsed.success) {
      throw new RecertCampaignCorrupt(
        `the META item of campaign ${campaignId} is malformed: ${parsed.error.message}`,
      );
    }
    return parsed.data;
  }

  /** Creates META unless it exists (a retried or continued execution finds it). */
  async createMeta(input: {
    readonly campaignId: string;
    readonly source: Readonly<Record<string, unknown>>;
    readonly pacing: PacingSettings;
    readonly now: number;
  }): Promise<boolean> {
    return this.conditional('UpdateItem create campaign META', {
      Key: this.key(input.campaignId),
      UpdateExpression:
        'SET #status = :enqueueing, #source = :source, pacing = :pacing, createdAt = :now, updatedAt = :now, ' +
        'enqueueCursor = :cursor, enqueueDone = :false, nextPosition = :zero, generation = :zero, ' +
        'queued = :zero, started = :zero, alreadyStarted = :zero, skipped = :zero, succeeded = :zero, ' +
        'failed = :zero, parked = :zero',
      ConditionExpression: 'attribute_not_exists(campaignId)',
      ExpressionAttributeNames: { '#status': 'status', '#source': 'source' },
      ExpressionAttributeValues: {
        ':enqueueing': 'ENQUEUEING',
        ':source': input.source,
        ':pacing': input.pacing,
        ':now': iso(input.now),
        ':cursor': { checkIndex: 0, page: 0 },
        ':false': false,
        ':zero': 0,
      },
    });
  }

  /** Writes queue entries (rewriting the same positions is harmless), retrying unprocessed ones. */
  async writeEntries(campaignId: string, entries: readonly QueuedRotation[], clock: Clock): Promise<void> {
    for (let i = 0; i < entries.length; i += BATCH_WRITE_MAX) {
      let requests: PutRequest[] = entries.slice(i, i + BATCH_WRITE_MAX).map((entry) => ({
        PutRequest: {
          Item: toAttributeMap({
            campaignId,
            entry: queueEntry(entry.position),
            oldCertificateId: entry.oldCertificateId,
            ...(entry.thingName ? { thingName: entry.thingName } : {}),
            ...(entry.findingId ? { findingId: entry.findingId } : {}),
          }),
        },
      }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > UNPROCESSED_RETRIES) {
          throw new TransientAwsError(
            `BatchWriteItem left ${requests.length} queue entries of campaign ${campaignId} unprocessed`,
          );
        }
        if (attempt > 0) await sleepFor(clock, Math.random() * Math.min(5_000, 50 * 2 ** attempt));
        const out = await awsCall('BatchWriteItem campaign queue', () =>
          this.db.send(new BatchWriteItemCommand({ RequestItems: { [this.tableName]: requests } })),
        );
        const left = out.UnprocessedItems?.[this.tableName] ?? [];
        requests = left.flatMap((r) => {
          const item = r.PutRequest?.Item;
          return item ? [{ PutRequest: { Item: item } }] : [];
        });
      }
    }
  }

  /** Moves the enqueue cursor past a written page and counts it, unless another writer moved it. */
  async advanceEnqueue(input: CursorMove<EnqueueCursor> & { readonly queued: number }): Promise<boolean> {
    return this.conditional('UpdateItem campaign enqueue cursor', {
      Key: this.key(input.campaignId),
      UpdateExpression: 'SET enqueueCursor = :to, updatedAt = :now ADD queued :queued, skipped :skipped',
      ConditionExpression: 'enqueueCursor.page = :page AND enqueueCursor.checkIndex = :checkIndex',
      ExpressionAttributeValues: {
        ':to': input.to,
        ':now': iso(input.now),
        ':queued': input.queued,
        ':skipped': input.skipped,
        ':page': input.from.page,
        ':checkIndex': input.from.checkIndex,
      },
    });
  }

  /** Every rotation is queued: RUNNING (a STOPPED campaign stays stopped). */
  async finishEnqueue(campaignId: string, now: number): Promise<void> {
    const running = await this.conditional('UpdateItem campaign enqueued', {
      Key: this.key(campaignId),
      UpdateExpression: 'SET enqueueDone = :true, #status = :running, updatedAt = :now',
      ConditionExpression: '#status = :enqueueing',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':true': true,
        ':running': 'RUNNING',
        ':enqueueing': 'ENQUEUEING',
        ':now': iso(now),
      },
    });
    if (running) return;
    await this.conditional('UpdateItem campaign enqueued', {
      Key: this.key(campaignId),
      UpdateExpression: 'SET enqueueDone = :true, updatedAt = :now',
      ConditionExpression: 'attribute_exists(campaignId)',
      ExpressionAttributeValues: { ':true': true, ':now': iso(now) },
    });
  }

  /** Queue entries at positions [from, until), in order, at most `limit`. */
  async queue(campaignId: string, from: number, until: number, limit: number): Promise<QueuedRotation[]> {
    if (until <= from || limit <= 0) return [];
    const out = await awsCall('Query campaign queue', () =>
      this.db.send(
        queryDocuments({
          TableName: this.tableName,
          KeyConditionExpression: 'campaignId = :id AND #entry BETWEEN :from AND :last',
          ExpressionAttributeNames: { '#entry': 'entry' },
          ExpressionAttributeValues: {
            ':id': campaignId,
            ':from': queueEntry(from),
            ':last': queueEntry(until - 1),
          },
          ConsistentRead: true,
          Limit: limit,
        }),
      ),
    );
    return (out.Items ?? []).map(fromAttributeMap).map((item) => {
      const position = typeof item.entry === 'string' ? queuePosition(item.entry) : undefined;
      const parsed = QueuedRotation.safeParse({ ...item, position });
      if (!parsed.success) {
        throw new RecertCampaignCorrupt(
          `queue entry ${String(item.entry)} of campaign ${campaignId} is malformed: ${parsed.error.message}`,
        );
      }
      return parsed.data;
    });
  }

  /**
   * Moves the start cursor past a batch and counts its starts in one write; the condition on the old
   * cursor makes a replayed batch (after a crash) count nothing twice.
   */
  async commitStarts(
    input: CursorMove<number> & { readonly started: number; readonly alreadyStarted: number },
  ): Promise<boolean> {
    return this.conditional('UpdateItem campaign start cursor', {
      Key: this.key(input.campaignId),
      UpdateExpression:
        'SET nextPosition = :to, updatedAt = :now ADD started :started, alreadyStarted :already, skipped :skipped',
      ConditionExpression: 'nextPosition = :from',
      ExpressionAttributeValues: {
        ':to': input.to,
        ':from': input.from,
        ':now': iso(input.now),
        ':started': input.started,
        ':already': input.alreadyStarted,
        ':skipped': input.skipped,
      },
    });
  }

  async markStartedAll(campaignId: string, now: number): Promise<boolean> {
    return this.conditional('UpdateItem campaign started all', {
      Key: this.key(campaignId),
      UpdateExpression: 'SET #status = :all, updatedAt = :now',
      ConditionExpression: '#status = :running',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':all': 'STARTED_ALL', ':running': 'RUNNING', ':now': iso(now) },
    });
  }

  async stop(campaignId: string, reason: string, now: number): Promise<boolean> {
    return this.conditional('UpdateItem campaign stop', {
      Key: this.key(campaignId),
      UpdateExpression: 'SET #status = :stopped, stopReason = :reason, stoppedAt = :now, updatedAt = :now',
      ConditionExpression: 'attribute_exists(campaignId) AND #status <> :stopped',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':stopped': 'STOPPED', ':reason': reason, ':now': iso(now) },
    });
  }

  /**
   * Resumes a stopped campaign: it starts rotations again once its execution is redriven, and its
   * failure rate counts only what finishes from now on.
   */
  async resume(campaignId: string, now: number): Promise<boolean> {
    const meta = await this.getMeta(campaignId);
    if (meta?.status !== 'STOPPED') return false;
    return this.conditional('UpdateItem campaign resume', {
      Key: this.key(campaignId),
      UpdateExpression:
        'SET #status = :status, resumedAt = :now, updatedAt = :now, baselineSucceeded = :succeeded, ' +
        'baselineFailed = :failed REMOVE stopReason, stoppedAt',
      ConditionExpression: '#status = :stopped',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: {
        ':status': meta.enqueueDone ? 'RUNNING' : 'ENQUEUEING',
        ':stopped': 'STOPPED',
        ':now': iso(now),
        ':succeeded': meta.succeeded,
        ':failed': meta.failed,
      },
    });
  }

  /**
   * Records that generation `to` took over from `from`, so older executions stop enqueueing and
   * pacing; never moves it back (an operator may have started a later generation already).
   */
  async handOver(campaignId: string, from: number, to: number, now: number): Promise<boolean> {
    if (to <= from) return false;
    return this.conditional('UpdateItem campaign generation', {
      Key: this.key(campaignId),
      UpdateExpression: 'SET generation = :to, updatedAt = :now',
      ConditionExpression:
        'attribute_exists(campaignId) AND (attribute_not_exists(generation) OR generation < :to)',
      ExpressionAttributeValues: { ':to': to, ':now': iso(now) },
    });
  }
}
