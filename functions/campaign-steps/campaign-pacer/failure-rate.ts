import { failureRateStopReason } from '../../../workflows/campaign/errors.ts';
import type { PacingSettings } from '../../../workflows/campaign/pacing.ts';
import type { CampaignMeta } from '../../shared/campaign-store.ts';

/**
 * Why the campaign must stop, or undefined while its failure rate is within the threshold. Only
 * rotations finished since the campaign started (or was last resumed) count, and only once enough
 * of them finished for a rate to mean something.
 */
export function failureRateBreach(meta: CampaignMeta, pacing: PacingSettings): string | undefined {
  const failed = meta.failed - meta.baselineFailed;
  const finished = meta.succeeded - meta.baselineSucceeded + failed;
  if (finished < pacing.minFinishedForFailureRate || finished <= 0) return undefined;
  if (failed / finished <= pacing.failureRateThreshold) return undefined;
  return failureRateStopReason({
    failed,
    finished,
    threshold: pacing.failureRateThreshold,
    ...(meta.resumedAt ? { since: meta.resumedAt } : {}),
  });
}

/** Rotations started and not finished, leaving out those parked waiting for an offline device. */
export const inFlight = (meta: CampaignMeta): number =>
  Math.max(0, meta.started - meta.succeeded - meta.failed - meta.parked);
