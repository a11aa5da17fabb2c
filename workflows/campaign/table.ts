/**
 * The campaign table: per campaign, one META item (status, pacing, counters, cursors) and its start
 * queue, one item per rotation to start, in the order they were found. The queue is durable and
 * ordered (sort key), so a campaign of millions survives restarts and starts each rotation once:
 * the pacer moves the META cursor past a batch only after starting it, and a start that is repeated
 * after a crash meets ExecutionAlreadyExists (execution names come from thing and certificate).
 */

export const CAMPAIGN_TABLE = {
  /** The ASL placeholder that receives the table name. */
  namePlaceholder: 'CampaignTableName',
  partitionKey: { name: 'campaignId', type: 'S' },
  sortKey: { name: 'entry', type: 'S' },
  billingMode: 'PAY_PER_REQUEST',
  /** Epoch seconds; set when a campaign ends, so finished campaigns expire with their queue. */
  ttlAttribute: 'expiresAt',
} as const;

/** The sort key of a campaign's META item. */
export const META_ENTRY = 'META';

/** Queue entries sort by position: `Q#` and the position zero-padded to 12 digits. */
export const QUEUE_ENTRY_PREFIX = 'Q#';
export const queueEntry = (position: number): string =>
  `${QUEUE_ENTRY_PREFIX}${String(position).padStart(12, '0')}`;

export function queuePosition(entry: string): number | undefined {
  const match = /^Q#(\d{12})$/.exec(entry);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}

/**
 * ENQUEUEING: the findings are being written to the queue (starts may already run behind them);
 * RUNNING: all queued, starts going on; STARTED_ALL: every queued rotation was started (the
 * rotations themselves may still run); STOPPED: the failure rate passed its threshold, or an operator
 * stopped it (`stopReason` says which), nothing more is started until it is resumed.
 */
export const CAMPAIGN_STATUSES = ['ENQUEUEING', 'RUNNING', 'STARTED_ALL', 'STOPPED'] as const;
export type CampaignStatus = (typeof CAMPAIGN_STATUSES)[number];

/** Counters on the META item, each moved with an atomic ADD. */
export const CAMPAIGN_COUNTERS = [
  /** Queue entries written. */
  'queued',
  /** Executions started by the campaign. */
  'started',
  /** Starts that found the execution already there (a repeated finding, a replayed batch). */
  'alreadyStarted',
  /** Queue entries with nothing to start (certificate on no thing, gone, bad finding). */
  'skipped',
  /** Rotations that ended SUCCEEDED. */
  'succeeded',
  /** Rotations that ended FAILED, TIMED_OUT or ABORTED. */
  'failed',
  /** Rotations waiting for a device that did not answer its first CSR request (not in flight). */
  'parked',
] as const;
export type CampaignCounter = (typeof CAMPAIGN_COUNTERS)[number];

/**
 * META attributes besides the counters: `status`, `source` (kind and audit task), `pacing`,
 * `createdAt`, `updatedAt`, `enqueueCursor` (check index and nextToken of the audit pages),
 * `enqueueDone`, `nextPosition` (the queue position the pacer starts next), `stopReason`,
 * `stoppedAt`, and, set by a resume, `resumedAt` with `baselineSucceeded` / `baselineFailed`: the
 * counters at that moment, so the failure rate after a resume counts only what finished since.
 */
export const META_ATTRIBUTES = [
  'status',
  'source',
  'pacing',
  'createdAt',
  'updatedAt',
  'enqueueCursor',
  'enqueueDone',
  'nextPosition',
  'stopReason',
  'stoppedAt',
  'resumedAt',
  'baselineSucceeded',
  'baselineFailed',
] as const;

/**
 * Old certificates kept INACTIVE for a grace period, until the retired-certificate sweeper deletes
 * them. They live in this table under one reserved partition rather than in the rotation record,
 * because a thing's record is reset by its next rotation's claim: a second rotation within the grace
 * period would lose the first certificate's deletion. `#` cannot start a campaign id (see
 * `CampaignId`), so the partition never meets a campaign's items.
 *
 * One item per kept certificate, sort key `<deleteAfter ISO>#<certificateId>`: a Query for the sort
 * keys below `<now ISO>$` reads exactly the due ones, oldest first (ISO-8601 UTC strings of one
 * length sort as the times they name, and `$` follows `#`). Attributes: `thingName`,
 * `certificateId`, `rotationId`, `deleteAfter`, and `expiresAt`, the TTL backstop set well past
 * `deleteAfter` so an entry the sweeper can never finish does not stay forever.
 */
export const RETIRED_PARTITION = '#retired';

/** How long after its deadline an undeletable entry lingers before TTL drops it (90 days). */
export const RETIRED_ENTRY_TTL_AFTER_DEADLINE_SECONDS = 90 * 86_400;

export const retiredEntry = (deleteAfterIso: string, certificateId: string): string =>
  `${deleteAfterIso}#${certificateId}`;

/** The exclusive upper bound of the due entries' sort keys at `nowIso`. */
export const retiredDueBound = (nowIso: string): string => `${nowIso}$`;
