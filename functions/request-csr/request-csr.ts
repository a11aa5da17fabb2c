import type { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { CertificateAttemptsExhausted } from '../../workflows/rotate-device/errors.ts';
import type { RequestCsrInput } from '../../workflows/rotate-device/types.ts';
import { errorName } from '../shared/aws-errors.ts';
import { type CampaignCounters, countedCampaign } from '../shared/campaign-counters.ts';
import type { Counter, Log } from '../shared/observability.ts';
import { publishToDevice } from '../shared/publish.ts';
import type { RotationRecordStore } from '../shared/rotation-record.ts';

export interface RequestCsrDeps {
  readonly store: RotationRecordStore;
  readonly iotData: IoTDataPlaneClient;
  readonly clock: { now(): number };
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
  const fence = {
    thingName: input.thingName,
    executionArn: input.executionArn,
    rotationId: input.rotationId,
  };
  if (input.attempt > input.maxAttempts) {
    deps.counter.count('CertificateAttemptsExhausted');
    throw new CertificateAttemptsExhausted(
      `${input.thingName}: ${input.attempt - 1} certificate attempts used, the limit of this run is ` +
        `${input.maxAttempts}; a redrive grants more`,
    );
  }
  const record = await deps.store.awaitReply({
    fence,
    phase: 'AWAITING_CSR',
    taskToken: input.taskToken,
    attempt: input.attempt,
    previousError: input.previousError,
    now: deps.clock.now(),
  });
  await publishToDevice(deps.iotData, input.thingName, 'csr_req', {
    rotationId: input.rotationId,
    ...(input.previousError ? { previousError: input.previousError.slice(0, 256) } : {}),
  });
  await noteInCampaign(record.campaign, input, deps);
  deps.counter.count('CsrRequested');
  deps.log.info('csr_req sent', { attempt: input.attempt, previousError: input.previousError });
  return { rotationId: input.rotationId, attempt: input.attempt };
}

/**
 * A request repeated after a timeout parks the rotation in its campaign: it waits for its device and
 * frees its slot of the in-flight ceiling. Bookkeeping only: a failure is logged, never fails the step.
 */
async function noteInCampaign(
  campaign: string | undefined,
  input: RequestCsrInput,
  deps: RequestCsrDeps,
): Promise<void> {
  const campaignId = countedCampaign(campaign);
  if (!deps.campaigns || !campaignId) return;
  try {
    const noted = await deps.campaigns.noteCsrRequest({
      campaign: campaignId,
      executionArn: input.executionArn,
      rotationId: input.rotationId,
      attempt: input.attempt,
      now: deps.clock.now(),
    });
    if (noted === 'parked') {
      deps.counter.count('RotationParked');
      deps.log.info('device did not answer; rotation parked in its campaign', { campaign: campaignId });
    }
  } catch (error) {
    deps.counter.count('CampaignCountFailed');
    deps.log.warn('could not note the request in the campaign', {
      campaign: campaignId,
      error: errorName(error),
    });
  }
}
