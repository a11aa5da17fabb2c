/**
 * A campaign's META item as the CLI reads it: parsed leniently (a counter not yet written is 0, an
 * attribute the CLI does not know is kept out), so an operator sees a campaign even while it is
 * being created, and a malformed item is reported, never trusted.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { z } from 'zod';
import { CAMPAIGN_STATUSES, META_ENTRY } from '../../workflows/campaign/table.ts';
import { CampaignId } from '../../workflows/campaign/types.ts';
import { RefusedError, UsageError } from '../errors.ts';
import type { Target } from '../target/target.ts';
import { campaignIdsFor } from './campaign-id.ts';

const Count = z.number().finite().optional().default(0);
const Time = z.union([z.string(), z.number()]).optional();

const PacingView = z.object({
  startsPerSecond: z.number().positive(),
  maxInFlight: z.number().positive(),
  failureRateThreshold: z.number().positive().max(1),
  minFinishedForFailureRate: z.number().positive(),
  limitedBy: z.object({ api: z.string(), rotationsPerSecond: z.number() }).optional(),
});
export type PacingView = z.infer<typeof PacingView>;

export const CampaignMeta = z.object({
  campaignId: z.string(),
  status: z.enum(CAMPAIGN_STATUSES),
  source: z
    .object({ kind: z.string(), taskId: z.string().optional(), checkNames: z.array(z.string()).optional() })
    .optional(),
  pacing: PacingView.optional(),
  createdAt: Time,
  updatedAt: Time,
  enqueueDone: z.boolean().optional(),
  nextPosition: z.number().int().min(0).optional(),
  stopReason: z.string().optional(),
  stoppedAt: Time,
  resumedAt: Time,
  baselineSucceeded: z.number().optional(),
  baselineFailed: z.number().optional(),
  queued: Count,
  started: Count,
  alreadyStarted: Count,
  skipped: Count,
  succeeded: Count,
  failed: Count,
  parked: Count,
});
export type CampaignMeta = z.infer<typeof CampaignMeta>;

/** Rotations started and not finished, leaving out the parked ones (they wait for their device). */
export const inFlightOf = (meta: CampaignMeta): number =>
  Math.max(0, meta.started - meta.succeeded - meta.failed - meta.parked);

/** A campaign id from the command line, or a usage error saying what one looks like. */
export function campaignIdArg(text: string | undefined): string {
  if (text === undefined) throw new UsageError('a campaign id is needed (see "recert campaigns")');
  const parsed = CampaignId.safeParse(text);
  if (!parsed.success) {
    throw new UsageError(
      `${JSON.stringify(text)} is not a campaign id: ${parsed.error.issues[0]?.message ?? 'invalid'}`,
    );
  }
  return parsed.data;
}

/** The one campaign id a `campaigns <verb>` command takes, or a usage error naming the command. */
export function soleCampaignIdArg(positionals: readonly string[], command: string): string {
  if (positionals.length > 1) throw new UsageError(`${command} takes one campaign id`);
  return campaignIdArg(positionals[0]);
}

/** The campaign resources, or a refusal that says the deployment predates campaigns. */
export function campaignResources(target: Target): { tableName: string; stateMachineArn: string } {
  const { campaignTableName, campaignStateMachineArn } = target.resources;
  if (campaignTableName === undefined || campaignStateMachineArn === undefined) {
    throw new RefusedError(
      target.kind === 'local'
        ? 'this local AWS has no campaign table or state machine'
        : 'the stack has no CampaignTableName or CampaignStateMachineArn output',
      {
        hint:
          target.kind === 'local'
            ? 'restart it with this version of recert ("recert local down", then "recert local up")'
            : 'deploy this version of recert (cdk deploy) to add campaigns',
      },
    );
  }
  return { tableName: campaignTableName, stateMachineArn: campaignStateMachineArn };
}

export class MalformedCampaignError extends RefusedError {
  constructor(campaignId: string, reason: string) {
    super(`the META item of campaign ${campaignId} is malformed (${reason})`, {
      hint: 'the campaign table was written by something other than recert',
    });
    this.name = 'MalformedCampaignError';
  }
}

/**
 * The campaign a typed id names: the id itself when it has a META item, else its `audit-` form
 * (an audit task id typed bare); the id as typed when neither exists, for the not-found error.
 */
export async function resolveCampaignId(target: Target, text: string): Promise<string> {
  for (const id of campaignIdsFor(text)) {
    if (CampaignId.safeParse(id).success && (await readMeta(target, id)) !== undefined) return id;
  }
  return text;
}

/** Reads META with a strongly consistent read; undefined when the campaign does not exist. */
export async function readMeta(target: Target, campaignId: string): Promise<CampaignMeta | undefined> {
  const { tableName } = campaignResources(target);
  const out = await target.db.send(
    new GetCommand({ TableName: tableName, Key: { campaignId, entry: META_ENTRY }, ConsistentRead: true }),
  );
  if (out.Item === undefined) return undefined;
  const parsed = CampaignMeta.safeParse(out.Item);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MalformedCampaignError(
      campaignId,
      issue ? `${issue.path.join('.') || '(item)'}: ${issue.message}` : parsed.error.message,
    );
  }
  return parsed.data;
}

/** An ISO time from a META timestamp (ISO text or epoch milliseconds). */
export function isoOf(time: string | number | undefined): string | undefined {
  if (time === undefined) return undefined;
  const ms = typeof time === 'number' ? time : Date.parse(time);
  return Number.isNaN(ms) ? undefined : new Date(ms).toISOString();
}

export function msOf(time: string | number | undefined): number | undefined {
  const iso = isoOf(time);
  return iso === undefined ? undefined : Date.parse(iso);
}
