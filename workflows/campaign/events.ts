/**
 * What the campaign state machine passes its functions, and what they answer. The functions parse
 * their event with these, so a definition that drifted from them fails with a named error.
 */
import { z } from 'zod';
import { CampaignId, CampaignSource, PacingSettingsSchema } from './types.ts';

export const EnqueueEvent = z.object({
  campaignId: CampaignId,
  source: CampaignSource,
  pacing: PacingSettingsSchema,
  generation: z.number().int().min(0).default(0),
});
export type EnqueueEvent = z.infer<typeof EnqueueEvent>;

export interface EnqueueResult {
  /** Every rotation of the source is queued (or a newer execution of the campaign took over). */
  readonly done: boolean;
}

export const PaceEvent = z.object({
  campaignId: CampaignId,
  pacing: PacingSettingsSchema,
  generation: z.number().int().min(0).default(0),
  turn: z.number().int().min(1),
  /** This execution's last turn: hand over to a fresh execution unless the campaign is done. */
  lastTurn: z.boolean(),
  /** The campaign state machine (the hand-over starts it again). */
  stateMachineArn: z.string().min(1),
});
export type PaceEvent = z.infer<typeof PaceEvent>;

/**
 * `done`: every queued rotation started; `continued`: a fresh execution took over; `running`: starts left;
 * `waiting`: in-flight ceiling reached, or queue empty while findings are still being enqueued.
 */
export const PACE_STATUSES = ['done', 'continued', 'running', 'waiting'] as const;
export type PaceStatus = (typeof PACE_STATUSES)[number];

export interface PaceResult {
  readonly status: PaceStatus;
  readonly started: number;
  readonly alreadyStarted: number;
  readonly skipped: number;
}

/** The execution name of a campaign's generation: the first is the campaign id itself. */
export function campaignExecutionName(campaignId: string, generation: number): string {
  if (generation === 0) return campaignId;
  const suffix = `--${generation}`;
  return `${campaignId.slice(0, 80 - suffix.length)}${suffix}`;
}
