import { SendTaskFailureCommand, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { awsCall, errorName } from '../../../workflows/rotate-device/aws-errors.ts';
import { ERROR_NAMES } from '../../../workflows/rotate-device/errors.ts';
import type { DeviceReplyKind } from '../../../workflows/rotate-device/protocol.ts';
import { countedCampaign } from '../../shared/campaign-counters.ts';
import type { RotationRecord } from '../../shared/rotation-record.ts';
import type { DeviceReplyDeps, ReplyOutcome } from './device-reply.ts';

/** Answering Step Functions for a reply that was accepted: the wait's token is in the record. */

type AnswerDeps = Pick<DeviceReplyDeps, 'sfn' | 'clock' | 'log' | 'counter' | 'campaigns'>;

/** Task answers that mean the wait is over already: logged, never thrown (a retry cannot help). */
const LATE_ANSWERS = ['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist'];

/**
 * Sends the wait's answer with the record's token: 'sent', or the Step Functions error that says the
 * wait is over. Late or not, the device did answer, so a parked rotation holds its campaign slot
 * again (idempotent).
 */
async function answerFromRecord(
  record: RotationRecord,
  kind: DeviceReplyKind,
  message: Record<string, unknown>,
  provenAt: string,
  deps: AnswerDeps,
): Promise<string> {
  const answered = await sendAnswer(
    record.taskToken ?? '',
    record.rotationId ?? '',
    kind,
    message,
    record,
    provenAt,
    deps,
  );
  if (kind === 'csr_res') await unparkInCampaign(record, deps);
  return answered;
}

/** Answers the wait of a reply this invocation just marked accepted. */
export async function answerAccepted(
  record: RotationRecord,
  kind: DeviceReplyKind,
  message: Record<string, unknown>,
  provenAt: string,
  deps: AnswerDeps,
  fields: Record<string, unknown>,
): Promise<ReplyOutcome> {
  const answered = await answerFromRecord(record, kind, message, provenAt, deps);
  if (answered !== 'sent') {
    deps.counter.count('ReplyLate', { answer: answered });
    deps.log.warn('the wait for this reply had ended', { answer: answered, ...fields });
    return { outcome: 'late', kind, answer: answered };
  }
  deps.counter.count('ReplyAccepted', { kind });
  deps.log.info('device reply accepted', fields);
  return { outcome: 'accepted', kind };
}

/**
 * A reply accepted before whose answer Step Functions may not have heard: answers again with the
 * same token. Step Functions closes a wait once, so an answer that did arrive earlier meets
 * TaskTimedOut (or InvalidToken) now and the reply is dropped as the duplicate it is; two deliveries
 * never advance the workflow twice.
 */
export async function answerAgain(
  record: RotationRecord,
  kind: DeviceReplyKind,
  message: Record<string, unknown>,
  deps: AnswerDeps,
  fields: Record<string, unknown>,
): Promise<ReplyOutcome> {
  const provenAt = record.provenAt ?? new Date(deps.clock.now()).toISOString();
  const answered = await answerFromRecord(record, kind, message, provenAt, deps);
  if (answered !== 'sent') {
    const detail = `the reply was accepted and its wait is over (Step Functions answered ${answered})`;
    deps.counter.count('ReplyRejected', { reason: 'duplicate' });
    deps.log.warn('device reply rejected', { reason: 'duplicate', detail, ...fields });
    return { outcome: 'rejected', reason: 'duplicate', detail };
  }
  deps.counter.count('ReplyAnsweredAgain', { kind });
  deps.counter.count('ReplyAccepted', { kind });
  deps.log.info('device reply accepted; its answer was sent again after an interrupted invocation', fields);
  return { outcome: 'accepted', kind };
}

export const deviceErrorOf = (message: Record<string, unknown>): string =>
  typeof message.error === 'string' ? message.error.slice(0, 256) : '';

/**
 * Sends the wait's answer: 'sent', or the name of the Step Functions error that says the wait is over
 * already (never thrown: a retry cannot help). Any other error is thrown, so the invocation fails and the
 * rule's retry answers again from the accepted mark.
 */
async function sendAnswer(
  taskToken: string,
  rotationId: string,
  kind: DeviceReplyKind,
  message: Record<string, unknown>,
  record: RotationRecord,
  provenAt: string,
  deps: AnswerDeps,
): Promise<string> {
  try {
    if (kind === 'crt_err') {
      const deviceError = deviceErrorOf(message);
      await awsCall('SendTaskFailure', () =>
        deps.sfn.send(
          new SendTaskFailureCommand({
            taskToken,
            error: ERROR_NAMES.deviceCertificateError,
            cause: deviceError || 'the device reported an error without text',
          }),
        ),
      );
    } else {
      const output =
        kind === 'csr_res'
          ? { rotationId, csr: String(message.CSR) }
          : { rotationId, certificateId: record.newCertificateId, provenAt };
      await awsCall('SendTaskSuccess', () =>
        deps.sfn.send(new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(output) })),
      );
    }
    return 'sent';
  } catch (error) {
    const name = errorName(error);
    if (LATE_ANSWERS.includes(name)) return name;
    throw error;
  }
}

/**
 * The device answered: if request-csr parked this wait in its campaign (it says so in the record),
 * the rotation holds a slot again. Otherwise nothing is written. Never fails the reply.
 */
async function unparkInCampaign(record: RotationRecord, deps: AnswerDeps): Promise<void> {
  const campaign = countedCampaign(record.campaign);
  if (!deps.campaigns || !campaign) return;
  if (record.rotationId === undefined || record.campaignParkedRotationId !== record.rotationId) return;
  try {
    const unparked = await deps.campaigns.unpark({
      campaign,
      executionArn: record.executionArn,
      now: deps.clock.now(),
    });
    if (unparked) deps.log.info('parked rotation active again', { thingName: record.thingName, campaign });
  } catch (error) {
    deps.counter.count('CampaignCountFailed');
    deps.log.warn('could not unpark the rotation in its campaign', {
      thingName: record.thingName,
      campaign,
      error: errorName(error),
    });
  }
}
