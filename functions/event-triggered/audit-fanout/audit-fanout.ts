import { type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import type { PacingSettings } from '../../../workflows/campaign/pacing.ts';
import { auditCampaignId, type CampaignInput } from '../../../workflows/campaign/types.ts';
import { awsCall, isNamed } from '../../../workflows/rotate-device/aws-errors.ts';
import { InvalidStepInput } from '../../../workflows/rotate-device/errors.ts';
import type { Counter, Log } from '../../shared/observability.ts';
import { pacingSettingsOf } from './pacing-env.ts';

/** The Device Defender audit notification (the SNS message body), the fields recert reads. */
export const AuditNotification = z.object({
  accountId: z.string().optional(),
  taskId: z.string().regex(/^[a-zA-Z0-9-]{1,40}$/),
  taskStatus: z.string().optional(),
  auditDetails: z
    .array(
      z.object({
        checkName: z.string(),
        checkRunStatus: z.string().optional(),
        nonCompliantResourcesCount: z.number().optional(),
      }),
    )
    .optional(),
});

export const SnsEvent = z.object({
  Records: z
    .array(z.object({ Sns: z.object({ Message: z.string(), TopicArn: z.string().optional() }) }))
    .min(1),
});

export interface FanoutDeps {
  readonly sfn: SFNClient;
  readonly log: Log;
  readonly counter: Counter;
  /** The campaign state machine. */
  readonly campaignStateMachineArn: string;
  /** Audit checks whose findings start rotations. */
  readonly checkNames: readonly string[];
  readonly pacing: PacingSettings;
}

export interface FanoutSummary {
  campaignsStarted: string[];
  campaignsAlreadyStarted: string[];
  ignored: number;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/**
 * Audit finished -> one campaign for its task, which queues the non-compliant certificates and
 * starts their rotations at the pace AWS's quotas allow, durably. The campaign is named from the
 * task, so a redelivered notification starts nothing new. A transient failure fails the invocation
 * (Lambda retries the notification), which is harmless for the same reason.
 */
export async function fanOut(event: unknown, deps: FanoutDeps): Promise<FanoutSummary> {
  const sns = SnsEvent.safeParse(event);
  if (!sns.success)
    throw new InvalidStepInput('the audit fan-out needs an SNS event with Records[].Sns.Message');
  const summary: FanoutSummary = { campaignsStarted: [], campaignsAlreadyStarted: [], ignored: 0 };
  for (const record of sns.data.Records) {
    await startCampaign(record.Sns.Message, deps, summary);
  }
  deps.log.info('audit fan-out done', { ...summary });
  return summary;
}

async function startCampaign(message: string, deps: FanoutDeps, summary: FanoutSummary): Promise<void> {
  const parsed = AuditNotification.safeParse(parseJson(message));
  if (!parsed.success) {
    summary.ignored++;
    deps.counter.count('AuditNotificationIgnored');
    deps.log.warn('not an audit notification', { issues: parsed.error.issues.map((i) => i.path.join('.')) });
    return;
  }
  const audit = parsed.data;
  if (audit.taskStatus && audit.taskStatus !== 'COMPLETED') {
    summary.ignored++;
    deps.log.info('audit did not complete; nothing to rotate', {
      taskId: audit.taskId,
      taskStatus: audit.taskStatus,
    });
    return;
  }
  const checkNames = deps.checkNames.filter((name) => {
    const detail = audit.auditDetails?.find((d) => d.checkName === name);
    return !audit.auditDetails || (detail !== undefined && (detail.nonCompliantResourcesCount ?? 1) > 0);
  });
  if (checkNames.length === 0) {
    summary.ignored++;
    deps.log.info('audit found no non-compliant certificate; no campaign', { taskId: audit.taskId });
    return;
  }
  const campaignId = auditCampaignId(audit.taskId);
  const input: CampaignInput = {
    campaignId,
    source: { kind: 'audit', taskId: audit.taskId, checkNames: [...checkNames] },
    pacing: pacingSettingsOf(deps.pacing),
  };
  try {
    await awsCall('StartExecution campaign', () =>
      deps.sfn.send(
        new StartExecutionCommand({
          stateMachineArn: deps.campaignStateMachineArn,
          name: campaignId,
          input: JSON.stringify(input),
        }),
      ),
    );
    summary.campaignsStarted.push(campaignId);
    deps.counter.count('CampaignStarted');
    deps.log.info('campaign started', { campaignId, taskId: audit.taskId, checkNames, pacing: input.pacing });
  } catch (error) {
    if (!isNamed(error, 'ExecutionAlreadyExists')) throw error;
    summary.campaignsAlreadyStarted.push(campaignId);
    deps.log.info('campaign already started', { campaignId });
  }
}
