/**
 * What an operator wants to know of a campaign beyond its counters: how fast it really starts
 * rotations, how long the rest will take at its pacing, and what limits it.
 */
import { derivePacing } from '../../workflows/campaign/pacing.ts';
import { sustainedRate } from '../../workflows/campaign/projections.ts';
import { type CampaignMeta, inFlightOf, msOf, type PacingView } from './meta.ts';

export interface CampaignProgress {
  readonly inFlight: number;
  /** Finished rotations: succeeded + failed. */
  readonly finished: number;
  /** Queue entries not yet started (at least this many while the queue is still being written). */
  readonly notStarted: number;
  /** Starts per second since the campaign was created, until it stopped or started them all. */
  readonly measuredStartsPerSecond: number | undefined;
  /** Seconds until every queued rotation is started at the pacing rate (undefined when stopped). */
  readonly startEtaSeconds: number | undefined;
  /** True while the queue is still being written: more may come. */
  readonly etaIsLowerBound: boolean;
  /** The failure rate the stop compares with its threshold (since the last resume). */
  readonly failureRate: number | undefined;
  /** The API whose quota limits the start rate, or `set by the operator`. */
  readonly limitedBy: string | undefined;
}

/**
 * The API that limits this pacing: stored with it when the campaign was started, else the one of
 * AWS's default quotas when the rate is the default one.
 */
export function limitedByOf(pacing: PacingView | undefined): string | undefined {
  if (pacing === undefined) return undefined;
  if (pacing.limitedBy) return pacing.limitedBy.api;
  const defaults = derivePacing();
  return Math.abs(defaults.startsPerSecond - pacing.startsPerSecond) < 1e-9
    ? defaults.limitedBy.api
    : 'set by the operator';
}

export function campaignProgress(meta: CampaignMeta, now: number): CampaignProgress {
  const consumed = meta.nextPosition ?? meta.started + meta.alreadyStarted + meta.skipped;
  const notStarted = meta.status === 'STARTED_ALL' ? 0 : Math.max(0, meta.queued - consumed);
  const created = msOf(meta.createdAt);
  const end =
    meta.status === 'STOPPED'
      ? (msOf(meta.stoppedAt) ?? msOf(meta.updatedAt))
      : meta.status === 'STARTED_ALL'
        ? msOf(meta.updatedAt)
        : now;
  const elapsed = created !== undefined && end !== undefined ? (end - created) / 1000 : undefined;
  const measured = elapsed !== undefined && elapsed > 0 ? meta.started / elapsed : undefined;
  const finishedSince =
    meta.succeeded - (meta.baselineSucceeded ?? 0) + (meta.failed - (meta.baselineFailed ?? 0));
  const failedSince = meta.failed - (meta.baselineFailed ?? 0);
  const eta =
    meta.status === 'STOPPED' || meta.pacing === undefined
      ? undefined
      : notStarted / sustainedRate(meta.pacing);
  return {
    inFlight: inFlightOf(meta),
    finished: meta.succeeded + meta.failed,
    notStarted,
    measuredStartsPerSecond: measured,
    startEtaSeconds: eta,
    etaIsLowerBound: meta.enqueueDone !== true && meta.status !== 'STARTED_ALL',
    failureRate: finishedSince > 0 ? failedSince / finishedSince : undefined,
    limitedBy: limitedByOf(meta.pacing),
  };
}

export const rate = (perSecond: number | undefined): string | undefined =>
  perSecond === undefined ? undefined : `${perSecond >= 100 ? perSecond.toFixed(0) : perSecond.toFixed(2)}/s`;

export const percent = (fraction: number | undefined): string | undefined =>
  fraction === undefined ? undefined : `${(Math.round(fraction * 1000) / 10).toString()}%`;
