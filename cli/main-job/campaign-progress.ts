/**
 * The paced campaign the audit started, as `npm start` follows it: read from its META item in the
 * campaign table, parsed as `recert campaigns` parses it. Absent until the audit's notification
 * reached the fan-out and the campaign wrote its META.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import type { LocalAws } from '../../local/index.ts';
import { META_ENTRY } from '../../workflows/campaign/table.ts';
import { CampaignMeta, inFlightOf } from '../campaigns/meta.ts';
import { limitedByOf } from '../campaigns/progress.ts';

/** What the progress line shows of the campaign. */
export interface CampaignProgressCounts {
  readonly queued: number;
  readonly started: number;
  readonly inFlight: number;
  readonly parked: number;
}

/** The campaign as the report gives it. */
export interface CampaignSummary {
  readonly campaignId: string;
  readonly status: string;
  readonly queued: number;
  readonly started: number;
  readonly alreadyStarted: number;
  readonly skipped: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly parked: number;
  readonly inFlight: number;
  readonly startsPerSecond: number | undefined;
  readonly maxInFlight: number | undefined;
  readonly limitedBy: string | undefined;
  readonly stopReason: string | undefined;
}

export async function readCampaign(local: LocalAws, campaignId: string): Promise<CampaignMeta | undefined> {
  const out = await local.clients.documents.send(
    new GetCommand({
      TableName: local.resources.campaignTableName,
      Key: { campaignId, entry: META_ENTRY },
      ConsistentRead: true,
    }),
  );
  const parsed = CampaignMeta.safeParse(out.Item);
  return parsed.success ? parsed.data : undefined;
}

export const progressOf = (meta: CampaignMeta): CampaignProgressCounts => ({
  queued: meta.queued,
  started: meta.started,
  inFlight: inFlightOf(meta),
  parked: meta.parked,
});

export function summaryOf(meta: CampaignMeta): CampaignSummary {
  return {
    campaignId: meta.campaignId,
    status: meta.status,
    queued: meta.queued,
    started: meta.started,
    alreadyStarted: meta.alreadyStarted,
    skipped: meta.skipped,
    succeeded: meta.succeeded,
    failed: meta.failed,
    parked: meta.parked,
    inFlight: inFlightOf(meta),
    startsPerSecond: meta.pacing?.startsPerSecond,
    maxInFlight: meta.pacing?.maxInFlight,
    limitedBy: limitedByOf(meta.pacing),
    stopReason: meta.stopReason,
  };
}
