/**
 * Stopping a campaign: its META says STOPPED with the operator's reason, and the pacer, at its next
 * turn, starts nothing more and fails the campaign execution at `Pace` with that reason, so a
 * resume can redrive it there. Rotations already started go on.
 */
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { META_ENTRY } from '../../workflows/campaign/table.ts';
import { isNamed, NotFoundError, RefusedError } from '../errors.ts';
import type { Target } from '../target/target.ts';
import { type CampaignMeta, campaignResources, readMeta } from './meta.ts';

export const OPERATOR_STOP_PREFIX = 'stopped by an operator';

export interface Stopped {
  readonly campaignId: string;
  /** False when it was already stopped (nothing changed). */
  readonly changed: boolean;
  readonly stopReason: string;
  readonly stoppedAt: string | undefined;
}

function notFound(campaignId: string): NotFoundError {
  return new NotFoundError(`campaign ${campaignId} does not exist`, {
    hint: 'list the campaigns with "recert campaigns"',
  });
}

export async function stopCampaign(
  target: Target,
  campaignId: string,
  reason: string | undefined,
  now: number,
): Promise<Stopped> {
  const { tableName } = campaignResources(target);
  const stopReason = reason ? `${OPERATOR_STOP_PREFIX}: ${reason}` : OPERATOR_STOP_PREFIX;
  const at = new Date(now).toISOString();
  try {
    await target.db.send(
      new UpdateCommand({
        TableName: tableName,
        Key: { campaignId, entry: META_ENTRY },
        UpdateExpression: 'SET #status = :stopped, stopReason = :reason, stoppedAt = :at, updatedAt = :at',
        ConditionExpression: 'attribute_exists(campaignId) AND #status IN (:enqueueing, :running)',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':stopped': 'STOPPED',
          ':reason': stopReason,
          ':at': at,
          ':enqueueing': 'ENQUEUEING',
          ':running': 'RUNNING',
        },
      }),
    );
    return { campaignId, changed: true, stopReason, stoppedAt: at };
  } catch (error) {
    if (!isNamed(error, 'ConditionalCheckFailedException')) throw error;
    const meta = await readMeta(target, campaignId);
    if (!meta) throw notFound(campaignId);
    return alreadyDone(meta);
  }
}

function alreadyDone(meta: CampaignMeta): Stopped {
  if (meta.status === 'STOPPED') {
    return {
      campaignId: meta.campaignId,
      changed: false,
      stopReason: meta.stopReason ?? 'stopped',
      stoppedAt: typeof meta.stoppedAt === 'string' ? meta.stoppedAt : undefined,
    };
  }
  throw new RefusedError(`campaign ${meta.campaignId} has started every rotation already (${meta.status})`, {
    hint: 'there is nothing left to hold back; stop single rotations with "recert abandon <thing>"',
  });
}

export { notFound as campaignNotFound };
