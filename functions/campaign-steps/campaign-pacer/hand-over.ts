import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { campaignExecutionName } from '../../../workflows/campaign/events.ts';
import type { PacingSettings } from '../../../workflows/campaign/pacing.ts';
import { type CampaignInput, CampaignSource } from '../../../workflows/campaign/types.ts';
import { awsCall, isNamed } from '../../../workflows/rotate-device/aws-errors.ts';
import type { CampaignMeta, CampaignStore } from '../../shared/campaign-store.ts';

export interface HandOverDeps {
  readonly sfn: SFNClient;
  readonly store: Pick<CampaignStore, 'handOver'>;
  readonly now: () => number;
}

/**
 * Starts the campaign's next execution (before this one's history grows long) and records that it
 * took over. The queue and both cursors are in META, so the new execution carries on where this one
 * stopped; an operator's list is already queued, so it is not passed again. Idempotent: the new
 * execution's name comes from the generation, and a repeated start finds it there.
 */
export async function handOver(
  meta: CampaignMeta,
  input: { campaignId: string; generation: number; pacing: PacingSettings; stateMachineArn: string },
  deps: HandOverDeps,
): Promise<string> {
  const generation = input.generation + 1;
  const audit = CampaignSource.safeParse(meta.source);
  const source: CampaignSource =
    audit.success && audit.data.kind === 'audit' ? audit.data : { kind: 'manual', rotations: [] };
  const next: CampaignInput = { campaignId: input.campaignId, source, pacing: input.pacing, generation };
  const name = campaignExecutionName(input.campaignId, generation);
  try {
    await awsCall('StartExecution campaign', () =>
      deps.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: input.stateMachineArn,
          name,
          input: JSON.stringify(next),
        }),
      ),
    );
  } catch (error) {
    if (!isNamed(error, 'ExecutionAlreadyExists')) throw error;
  }
  await deps.store.handOver(input.campaignId, input.generation, generation, deps.now());
  return name;
}
