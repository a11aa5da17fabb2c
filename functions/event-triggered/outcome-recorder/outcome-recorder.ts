import type { IoTClient } from '@aws-sdk/client-iot';
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';
import { z } from 'zod';
import type { TimeSource } from '../../../lib/clock.ts';
import { awsCall } from '../../../workflows/rotate-device/aws-errors.ts';
import { removeCertificate } from '../../../workflows/rotate-device/certificates.ts';
import { ERROR_NAMES } from '../../../workflows/rotate-device/errors.ts';
import { type CampaignCounters, countedCampaign } from '../../shared/campaign-counters.ts';
import type { Counter, Log } from '../../shared/observability.ts';
import type { RotationRecord, RotationRecordStore } from '../../shared/rotation-record.ts';

/** EventBridge "Step Functions Execution Status Change", the fields recert reads. */
export const StatusChangeEvent = z.object({
  source: z.literal('aws.states'),
  'detail-type': z.literal('Step Functions Execution Status Change'),
  detail: z.object({
    executionArn: z.string().min(1),
    stateMachineArn: z.string().min(1),
    status: z.enum(['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE']),
    input: z.string().nullable().optional(),
    error: z.string().nullable().optional(),
    cause: z.string().nullable().optional(),
  }),
});

const ExecutionInput = z.object({ thingName: z.string().min(1), campaign: z.string().optional() });

export type RecorderOutcome =
  | { action: 'ignored'; why: string }
  | { action: 'counted'; status: 'SUCCEEDED' }
  | { action: 'escalated'; recorded: boolean }
  | { action: 'abandoned'; recorded: boolean };

export interface OutcomeRecorderDeps {
  readonly store: RotationRecordStore;
  readonly sns: SNSClient;
  readonly iot: IoTClient;
  readonly clock: TimeSource;
  readonly log: Log;
  readonly counter: Counter;
  readonly stateMachineArn: string;
  readonly escalationTopicArn: string;
  readonly retentionSeconds: number;
  /** Moves the counters of the rotation's campaign; none when the deployment has no campaign table. */
  readonly campaigns?: CampaignCounters;
}

function parseInput(text: string | null | undefined): z.infer<typeof ExecutionInput> | undefined {
  if (!text) return undefined;
  try {
    const parsed = ExecutionInput.safeParse(JSON.parse(text));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}

/** Counts the ended rotation in its campaign (once per outcome, see CampaignCounters). */
async function countInCampaign(
  detail: z.infer<typeof StatusChangeEvent>['detail'],
  outcome: 'SUCCEEDED' | 'FAILED',
  deps: OutcomeRecorderDeps,
): Promise<void> {
  const campaign = countedCampaign(parseInput(detail.input)?.campaign);
  if (!deps.campaigns || !campaign) return;
  const deltas = await deps.campaigns.recordOutcome({
    campaign,
    executionArn: detail.executionArn,
    outcome,
    now: deps.clock.now(),
  });
  if (deltas)
    deps.log.info('rotation counted in its campaign', {
      campaign,
      executionArn: detail.executionArn,
      ...deltas,
    });
}

/**
 * Records how a rotation that did not succeed ended (FAILED / TIMED_OUT / ABORTED, with the error
 * and cause) and escalates it once to SNS. The record is changed only while it still belongs to that
 * execution, so a newer rotation of the thing is never overwritten; a redelivered event finds the
 * escalation done and publishes nothing (invariant 8).
 */
export async function recordOutcome(event: unknown, deps: OutcomeRecorderDeps): Promise<RecorderOutcome> {
  const parsed = StatusChangeEvent.safeParse(event);
  if (!parsed.success) {
    deps.log.warn('not a Step Functions status change', {
      issues: parsed.error.issues.map((i) => i.path.join('.')),
    });
    return { action: 'ignored', why: 'not a status change event' };
  }
  const { detail } = parsed.data;
  if (detail.stateMachineArn !== deps.stateMachineArn)
    return { action: 'ignored', why: 'another state machine' };
  if (detail.status === 'SUCCEEDED') {
    // recert's rule no longer routes SUCCEEDED here (the retire step completes and counts the
    // rotation); a rule that still does, or an operator's replay, counts it again idempotently.
    await countInCampaign(detail, 'SUCCEEDED', deps);
    deps.counter.count('RotationSucceeded');
    return { action: 'counted', status: 'SUCCEEDED' };
  }
  if (detail.status !== 'FAILED' && detail.status !== 'TIMED_OUT' && detail.status !== 'ABORTED') {
    return { action: 'ignored', why: `status ${detail.status}` };
  }
  await countInCampaign(detail, 'FAILED', deps);
  const thingName = parseInput(detail.input)?.thingName;
  const error = detail.error ?? detail.status;
  const cause = (detail.cause ?? '').slice(0, 1024);
  const fields = { thingName, executionArn: detail.executionArn, status: detail.status, error };

  let recorded = false;
  let phase: string | undefined;
  let rotationId: string | undefined;
  let unprovenCertificateId: string | undefined;
  if (thingName) {
    const record = await deps.store.recordOutcome({
      thingName,
      executionArn: detail.executionArn,
      status: detail.status,
      cause: `${error}: ${cause}`,
      now: deps.clock.now(),
      retentionSeconds: deps.retentionSeconds,
    });
    if (record) {
      recorded = true;
      phase = record.phase;
      rotationId = record.rotationId;
      if (record.newCertificateId && !record.provenCertificateId)
        unprovenCertificateId = record.newCertificateId;
      if (detail.status === 'ABORTED' && unprovenCertificateId) {
        await revokeUnproven(record, unprovenCertificateId, deps);
      }
    } else {
      const current = await deps.store.get(thingName);
      if (current?.executionArn === detail.executionArn && current.escalatedAt) {
        deps.log.info('outcome already recorded and escalated', fields);
        return { action: 'ignored', why: 'already escalated' };
      }
    }
  }

  // An operator stopped it on purpose (`recert abandon`): recorded and its certificate revoked as for
  // any abort, but nobody is paged for a decision an operator just made.
  if (detail.status === 'ABORTED' && detail.error === ERROR_NAMES.rotationAbandoned) {
    deps.counter.count('RotationAbandoned');
    deps.log.info('rotation abandoned by an operator; not escalated', { ...fields, phase, rotationId });
    return { action: 'abandoned', recorded };
  }

  const message = {
    thingName: thingName ?? null,
    executionArn: detail.executionArn,
    status: detail.status,
    error,
    cause,
    phase: phase ?? null,
    rotationId: rotationId ?? null,
    unprovenCertificateId: unprovenCertificateId ?? null,
    unprovenCertificateRevoked: detail.status === 'ABORTED' && unprovenCertificateId !== undefined,
    recorded,
  };
  await awsCall('SNS Publish', () =>
    deps.sns.send(
      new PublishCommand({
        TopicArn: deps.escalationTopicArn,
        Subject: `recert: rotation of ${thingName ?? 'unknown thing'} ${detail.status}`.slice(0, 100),
        Message: JSON.stringify(message),
      }),
    ),
  );
  if (recorded && thingName) {
    await deps.store.markEscalated({ thingName, executionArn: detail.executionArn, now: deps.clock.now() });
  }
  deps.counter.count('RotationFailed', { status: detail.status });
  deps.log.warn('rotation did not succeed; escalated', { ...fields, phase, rotationId });
  return { action: 'escalated', recorded };
}

/**
 * An operator stopped the rotation: the certificate it issued but the device never proved is
 * revoked (invariant 5), never the old one. A FAILED execution keeps it, because a redrive resumes
 * at the failed step and may still deliver it; its escalation names it instead.
 */
async function revokeUnproven(
  record: RotationRecord,
  certificateId: string,
  deps: OutcomeRecorderDeps,
): Promise<void> {
  if (certificateId === record.oldCertificateId || !record.rotationId) return;
  await removeCertificate(deps.iot, { certificateId, thingName: record.thingName, keep: false });
  await deps.store.recordRevoked({
    fence: { thingName: record.thingName, executionArn: record.executionArn, rotationId: record.rotationId },
    certificateId,
    reason: `ABORTED: ${record.lastError ?? ''}`.slice(0, 1024),
    now: deps.clock.now(),
  });
  deps.counter.count('CertificateRevoked', { reason: 'ABORTED' });
  deps.log.info('unproven certificate of an aborted rotation revoked', {
    thingName: record.thingName,
    rotationId: record.rotationId,
    certificateId,
  });
}
