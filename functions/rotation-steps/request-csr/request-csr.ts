import type { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type { TimeSource } from '../../../lib/clock.ts';
import { errorName } from '../../../workflows/rotate-device/aws-errors.ts';
import { CertificateAttemptsExhausted } from '../../../workflows/rotate-device/errors.ts';
import { fenceOf } from '../../../workflows/rotate-device/record.ts';
import type { RequestCsrInput } from '../../../workflows/rotate-device/types.ts';
import { type CampaignCounters, countedCampaign } from '../../shared/campaign-counters.ts';
import type { Counter, Log } from '../../shared/observability.ts';
import { publishToDevice } from '../../shared/publish.ts';
import {
  csrRequestMark,
  type Fence,
  type RotationRecord,
  type RotationRecordStore,
} from '../../shared/rotation-record.ts';

export interface RequestCsrDeps {
  readonly store: RotationRecordStore;
  readonly iotData: IoTDataPlaneClient;
  readonly clock: TimeSource;
  readonly log: Log;
  readonly counter: Counter;
  /** Parks a campaign's rotation whose device did not answer; none without a campaign table. */
  readonly campaigns?: CampaignCounters;
}

/**
 * Asks the device for a CSR: the task token goes into the rotation record first (so a fast reply
 * finds it), then `csr_req` carries only the rotationId. Runs again on every timeout retry with a
 * fresh token and the same rotationId, so a late reply to an earlier request still matches.
 */
export async function requestCsr(
  input: RequestCsrInput,
  deps: RequestCsrDeps,
): Promise<{ rotationId: string; attempt: number }> {
  const fence = fenceOf(input);
  if (input.attempt > input.maxAttempts) {
    deps.counter.count('CertificateAttemptsExhausted');
    throw new CertificateAttemptsExhausted(
      `${input.thingName}: ${input.attempt - 1} certificate attempts used, the limit of this run is ` +
        `${input.maxAttempts}; a redrive grants more`,
    );
  }
  // The record as it was before this wait: it tells a first request from one repeated after a timeout.
  const { answered, record: previous } = await deps.store.awaitReplyReturningPrevious({
    fence,
    phase: 'AWAITING_CSR',
    taskToken: input.taskToken,
    attempt: input.attempt,
    previousError: input.previousError,
    now: deps.clock.now(),
  });
  if (answered) {
    // This step ran before with the same token and the device's csr_res was accepted: nothing to send.
    deps.log.info('csr_res already accepted for this wait; csr_req not sent again', {
      attempt: input.attempt,
    });
    return { rotationId: input.rotationId, attempt: input.attempt };
  }
  const repeated = isRepeatAfterTimeout(previous, input);
  try {
    await publishToDevice(deps.iotData, input.thingName, 'csr_req', {
      rotationId: input.rotationId,
      ...(input.previousError ? { previousError: input.previousError.slice(0, 256) } : {}),
    });
  } catch (error) {
    // The step's retry of a first request must not look like a repeat: say it was never sent.
    if (!repeated) {
      await deps.store
        .markCsrRequestUnsent({ fence, attempt: input.attempt, now: deps.clock.now() })
        .catch((markError: unknown) => {
          deps.log.warn('could not record the unsent csr_req', { error: errorName(markError) });
        });
    }
    throw error;
  }
  if (repeated) await parkInCampaign(previous, fence, deps);
  deps.counter.count('CsrRequested');
  deps.log.info('csr_req sent', { attempt: input.attempt, previousError: input.previousError });
  return { rotationId: input.rotationId, attempt: input.attempt };
}

/**
 * The same request (rotationId and attempt) was already waiting with another token, sent, and is
 * still in progress: its wait timed out without a CSR, so the device is away. A resumed (redriven)
 * rotation, a Lambda retry with the same token and the retry of an unsent request are not repeats.
 */
export function isRepeatAfterTimeout(previous: RotationRecord, input: RequestCsrInput): boolean {
  return (
    previous.status === 'IN_PROGRESS' &&
    previous.phase === 'AWAITING_CSR' &&
    previous.rotationId === input.rotationId &&
    previous.attempt === input.attempt &&
    previous.taskToken !== input.taskToken &&
    previous.csrRequestUnsent !== csrRequestMark(input.rotationId, input.attempt)
  );
}

/**
 * A request repeated after a timeout parks the rotation in its campaign: it waits for its device and
 * frees its slot of the in-flight ceiling. The record says so first, so device-reply unparks it when
 * the CSR comes (and writes nothing for rotations never parked). Bookkeeping only: a failure is
 * logged, never fails the step.
 */
async function parkInCampaign(previous: RotationRecord, fence: Fence, deps: RequestCsrDeps): Promise<void> {
  const campaignId = countedCampaign(previous.campaign);
  if (!deps.campaigns || !campaignId) return;
  try {
    if (previous.campaignParkedRotationId !== fence.rotationId) {
      await deps.store.markParked({ fence, now: deps.clock.now() });
    }
    const parked = await deps.campaigns.park({
      campaign: campaignId,
      executionArn: fence.executionArn,
      now: deps.clock.now(),
    });
    if (parked) {
      deps.counter.count('RotationParked');
      deps.log.info('device did not answer; rotation parked in its campaign', { campaign: campaignId });
    }
  } catch (error) {
    deps.counter.count('CampaignCountFailed');
    deps.log.warn('could not park the rotation in its campaign', {
      campaign: campaignId,
      error: errorName(error),
    });
  }
}
