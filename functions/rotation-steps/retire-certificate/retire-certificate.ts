import type { IoTClient } from '@aws-sdk/client-iot';
import type { TimeSource } from '../../../lib/clock.ts';
import { removeCertificate } from '../../../workflows/rotate-device/certificates.ts';
import { CertificateMismatch, ProofOfPossessionMissing } from '../../../workflows/rotate-device/errors.ts';
import { fenceOf } from '../../../workflows/rotate-device/record.ts';
import type { RetireCertificateInput, StepDone } from '../../../workflows/rotate-device/types.ts';
import type { RetiredCertificates } from '../../event-triggered/retired-certificate-sweeper/retired-entries.ts';
import { type CampaignCounters, countedCampaign } from '../../shared/campaign-counters.ts';
import type { Counter, Log } from '../../shared/observability.ts';
import type { RotationRecordStore } from '../../shared/rotation-record.ts';
import type { RotationCompletion } from './complete-rotation.ts';

export interface RetireCertificateDeps {
  readonly store: RotationRecordStore;
  /** The rotation's last write: SUCCEEDED / DONE once the old certificate is retired. */
  readonly completion: RotationCompletion;
  readonly iot: IoTClient;
  readonly clock: TimeSource;
  readonly log: Log;
  readonly counter: Counter;
  /** 0 deletes the old certificate; more keeps it INACTIVE and records when it may be deleted. */
  readonly graceDays: number;
  /** Where a kept certificate's "delete after" entry goes, for the sweeper; needed with a grace period. */
  readonly retired?: RetiredCertificates | undefined;
  /** The counters of the rotation's campaign: a completed rotation counts as succeeded there. */
  readonly campaigns?: CampaignCounters | undefined;
}

/** A grace period was set, but nowhere to record when the kept certificate may be deleted. */
export class GracePeriodWithoutSweeperError extends Error {
  override readonly name = 'GracePeriodWithoutSweeperError';
}

/**
 * Retires the old certificate, and only after proof (invariant 1): the record must show that
 * crt_ack arrived over a connection authenticated by this rotation's new certificate. The state
 * machine only gets here after that, but the step checks again because it is the one step that can
 * lock a device out.
 */
export async function retireOldCertificate(
  input: RetireCertificateInput,
  deps: RetireCertificateDeps,
): Promise<StepDone> {
  const fence = fenceOf(input);
  const record = await deps.store.get(input.thingName);
  if (!record || record.executionArn !== input.executionArn || record.rotationId !== input.rotationId) {
    return deps.store.explain(fence, 'cannot retire');
  }
  if (
    record.oldCertificateId !== input.oldCertificateId ||
    input.oldCertificateId === input.newCertificateId
  ) {
    throw new CertificateMismatch(
      `${input.thingName}: ${input.oldCertificateId} is not the certificate being replaced`,
    );
  }
  // DONE: this step already retired the certificate and completed the record (its answer was lost,
  // and Step Functions ran it again); RETIRED: a record written before the completion moved here.
  const proven =
    (record.phase === 'PROVEN' || record.phase === 'RETIRED' || record.phase === 'DONE') &&
    record.newCertificateId === input.newCertificateId &&
    record.provenCertificateId === input.newCertificateId;
  if (!proven) {
    throw new ProofOfPossessionMissing(
      `${input.thingName}: no crt_ack over certificate ${input.newCertificateId} is recorded (phase ${record.phase})`,
    );
  }
  if (record.phase === 'DONE' && record.status === 'SUCCEEDED') {
    // The earlier run may have stopped between its completion and its count: counting is idempotent.
    await countSucceeded(record.campaign, input.executionArn, deps);
    deps.log.info('old certificate already retired by an earlier run of this step', {
      certificateId: input.oldCertificateId,
    });
    return { certificateId: input.oldCertificateId, action: 'retired (already)' };
  }
  const keep = deps.graceDays > 0;
  // What the issue step of this attempt copied from the old certificate: its ARN and policies are
  // known, so nothing is described or listed again (both cost calls AWS rate-limits).
  const copied =
    record.copiedPolicies?.rotationId === input.rotationId &&
    record.copiedPolicies.fromCertificateArn.endsWith(`/${input.oldCertificateId}`)
      ? record.copiedPolicies
      : undefined;
  // The claim of a later rotation leaves `oldCertificateDeleteAfter` in the record: only a RETIRED
  // phase (reset by every claim) says this rotation's own earlier try recorded it.
  const recorded = record.phase === 'RETIRED' ? record.oldCertificateDeleteAfter : undefined;
  const deleteAfter = keep ? deleteAfterOf(recorded, deps.clock.now(), deps.graceDays) : 0;
  if (keep) {
    if (!deps.retired) {
      throw new GracePeriodWithoutSweeperError(
        `${input.thingName}: a grace period of ${deps.graceDays} days is set but no campaign table to record ` +
          `when certificate ${input.oldCertificateId} may be deleted`,
      );
    }
    // Recorded before the certificate is touched, and outside the thing's record (which its next
    // rotation resets), so the deletion is never forgotten. A step that failed after recording it and
    // runs again writes a second entry with a later deadline, which the sweeper later finds done.
    await deps.retired.put({
      thingName: input.thingName,
      certificateId: input.oldCertificateId,
      rotationId: input.rotationId,
      deleteAfter,
    });
  }
  const outcome = await removeCertificate(deps.iot, {
    certificateId: input.oldCertificateId,
    thingName: input.thingName,
    keep,
    certificateArn: copied?.fromCertificateArn,
    policyNames: copied?.policyNames,
  });
  const completed = await deps.completion.complete({
    fence,
    now: deps.clock.now(),
    ...(keep ? { deleteAfter } : {}),
    retentionSeconds: input.recordRetentionSeconds,
  });
  if (!completed) await deps.store.explain(fence, 'cannot complete the rotation');
  await countSucceeded(record.campaign, input.executionArn, deps);
  deps.counter.count('CertificateRetired');
  deps.counter.count('RotationSucceeded');
  deps.log.info('old certificate retired', { certificateId: input.oldCertificateId, outcome });
  return { certificateId: input.oldCertificateId, action: `retired (${outcome})` };
}

/**
 * Counts the completed rotation as succeeded in its campaign (once: see CampaignCounters), here
 * rather than from the execution's SUCCEEDED event, which would cost a Lambda invocation per
 * rotation; the outcome recorder hears only of the rotations that did not succeed.
 */
async function countSucceeded(
  campaign: string | undefined,
  executionArn: string,
  deps: RetireCertificateDeps,
): Promise<void> {
  const counted = countedCampaign(campaign);
  if (!deps.campaigns || !counted) return;
  const deltas = await deps.campaigns.recordOutcome({
    campaign: counted,
    executionArn,
    outcome: 'SUCCEEDED',
    now: deps.clock.now(),
  });
  if (deltas) deps.log.info('rotation counted in its campaign', { campaign: counted, ...deltas });
}

/** When a kept certificate may go: the deadline a previous try of this step recorded, else now + grace. */
function deleteAfterOf(recorded: string | undefined, now: number, graceDays: number): number {
  const earlier = recorded === undefined ? Number.NaN : Date.parse(recorded);
  return Number.isFinite(earlier) ? earlier : now + graceDays * 86_400_000;
}
