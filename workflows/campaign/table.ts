/**
 * The campaign table: per campaign one META item and its durable, ordered start queue, so a campaign of
 * millions survives restarts and starts each rotation once (workflows/campaign/README.md).
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
 * ENQUEUEING (findings being queued), RUNNING (all queued, starting), STARTED_ALL (every rotation started),
 * STOPPED (failure rate or operator, per `stopReason`; nothing starts until resumed).
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
 * META attributes besides the counters; a resume's `baselineSucceeded` / `baselineFailed` let the failure
 * rate count only what finished since.
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
 * Old certificates kept INACTIVE until the sweeper deletes them, under one reserved partition (`#` starts
 * no campaign id); why here and how the sort key finds the due ones: workflows/campaign/README.md.
 */
export const RETIRED_PARTITION = '#retired';

/** How long after its deadline an undeletable entry lingers before TTL drops it (90 days). */
export const RETIRED_ENTRY_TTL_AFTER_DEADLINE_SECONDS = 90 * 86_400;

export const retiredEntry = (deleteAfterIso: string, certificateId: string): string =>
  `${deleteAfterIso}#${certificateId}`;

/** The exclusive upper bound of the due entries' sort keys at `nowIso`. */
export const retiredDueBound = (nowIso: string): string => `${nowIso}$`;
