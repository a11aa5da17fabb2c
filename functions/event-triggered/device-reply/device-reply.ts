import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import type { TimeSource } from '../../../lib/clock.ts';
import { ERROR_NAMES } from '../../../workflows/rotate-device/errors.ts';
import {
  DEVICE_TO_CLOUD,
  type DeviceReplyKind,
  isThingName,
  MESSAGE_SCHEMAS,
} from '../../../workflows/rotate-device/protocol.ts';
import { ROTATION_PHASES, type RotationPhase } from '../../../workflows/rotate-device/table.ts';
import { awsCall, errorName } from '../../shared/aws-errors.ts';
import { type CampaignCounters, countedCampaign } from '../../shared/campaign-counters.ts';
import type { Counter, Log } from '../../shared/observability.ts';
import {
  acceptedReplyMark,
  type RotationRecord,
  type RotationRecordStore,
} from '../../shared/rotation-record.ts';

/**
 * What the IoT rule gives the function: the reply's own fields plus what IoT Core vouches for
 * (`clientId`, `principal`) and the topic's kind. Anything else in the event is ignored.
 */
export const DeviceReplyEvent = z.object({
  clientId: z.string().min(1).max(128),
  principal: z.string().min(1).max(256),
  kind: z.enum(DEVICE_TO_CLOUD),
  rotationId: z.unknown().optional(),
  CSR: z.unknown().optional(),
  error: z.unknown().optional(),
});

export const REJECTION_REASONS = [
  'malformed',
  'unknown-thing',
  'not-in-progress',
  'wrong-phase',
  'duplicate',
  'stale-rotation',
  'missing-rotation-id',
  'wrong-principal',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

export type ReplyOutcome =
  | { outcome: 'accepted'; kind: DeviceReplyKind }
  | { outcome: 'late'; kind: DeviceReplyKind; answer: string }
  | { outcome: 'rejected'; reason: RejectionReason; detail: string };

export interface DeviceReplyDeps {
  readonly store: RotationRecordStore;
  readonly sfn: SFNClient;
  readonly clock: TimeSource;
  readonly log: Log;
  readonly counter: Counter;
  /** Unparks a campaign's rotation whose device answered at last; none without a campaign table. */
  readonly campaigns?: CampaignCounters;
  /** Accept a reply without rotationId (the bare blog protocol) when it is unambiguous. */
  readonly acceptMissingRotationId: boolean;
}

const WAITING_PHASE: Record<DeviceReplyKind, 'AWAITING_CSR' | 'AWAITING_ACK'> = {
  csr_res: 'AWAITING_CSR',
  crt_ack: 'AWAITING_ACK',
  crt_err: 'AWAITING_ACK',
};
const NEXT_PHASE: Record<DeviceReplyKind, RotationPhase> = {
  csr_res: 'CSR_RECEIVED',
  crt_ack: 'PROVEN',
  crt_err: 'DEVICE_ERROR',
};
/** Task answers that mean the wait is over already: logged, never thrown (a retry cannot help). */
const LATE_ANSWERS = ['TaskTimedOut', 'InvalidToken', 'TaskDoesNotExist'];

/** principal() of a certificate-authenticated client is the certificate id; compare case-blind. */
const samePrincipal = (a: string, b: string | undefined): boolean =>
  b !== undefined && a.toLowerCase() === b.toLowerCase();

/**
 * Acts on one device reply only if invariant 3 holds: the client id is the rotation's thing, the
 * principal is the expected certificate (old for csr_res / crt_err, new for crt_ack), the rotationId
 * is the current one (or absent, where allowed and unambiguous) and the rotation waits for this
 * kind. The reply is marked accepted with a conditional write before Step Functions is answered, so
 * of two deliveries one is accepted; the token stays in the record until the next wait replaces it,
 * so a delivery repeated after an invocation died between the two answers again, and Step Functions,
 * which closes a wait once, drops an answer it already had (invariant 8). Every rejection is logged
 * with its reason and counted; none fails a rotation.
 *
 * A reply that carries its rotationId and finds its wait pending costs one DynamoDB call: the write
 * that accepts it encodes every check. The record is read only when that write is refused (to tell
 * the reason, or to answer again after an interrupted invocation) and for a reply without rotationId,
 * whose acceptance mark needs the record's rotationId. That acceptance also notes its kind in the
 * record's acceptedWithoutRotationId, in the same write, for `recert rotations show`.
 */
export async function handleDeviceReply(event: unknown, deps: DeviceReplyDeps): Promise<ReplyOutcome> {
  const reject = (
    reason: RejectionReason,
    detail: string,
    fields: Record<string, unknown> = {},
  ): ReplyOutcome => {
    deps.counter.count('ReplyRejected', { reason });
    deps.log.warn('device reply rejected', { reason, detail, ...fields });
    return { outcome: 'rejected', reason, detail };
  };

  const parsed = DeviceReplyEvent.safeParse(event);
  if (!parsed.success) {
    return reject(
      'malformed',
      `the rule event lacks ${parsed.error.issues.map((i) => i.path.join('.')).join(', ')}`,
    );
  }
  const { clientId, principal, kind } = parsed.data;
  const body = Object.fromEntries(
    Object.entries({
      rotationId: parsed.data.rotationId,
      CSR: parsed.data.CSR,
      error: parsed.data.error,
    }).filter(([, v]) => v !== undefined),
  );
  const message = MESSAGE_SCHEMAS[kind].safeParse(body);
  if (!message.success) {
    return reject(
      'malformed',
      `${kind} payload: ${message.error.issues.map((i) => i.path.join('.') || i.message).join(', ')}`,
      {
        clientId,
      },
    );
  }
  if (!isThingName(clientId))
    return reject('unknown-thing', 'the client id is not a thing name', { clientId });
  const thingName = clientId;
  const rotationId = message.data.rotationId;

  // The usual reply (with its rotationId, to the pending wait) is accepted in one conditional write
  // that holds every check below; only a reply that write refuses costs a read, to say why.
  if (rotationId !== undefined) {
    const accepted = await acceptPending(thingName, rotationId, kind, principal, message.data, deps);
    if (accepted) return accepted;
  }

  const record = await deps.store.get(thingName);
  if (!record) return reject('unknown-thing', 'no rotation record for this client id', { thingName });
  const fields = { thingName, rotationId: record.rotationId, kind };
  if (record.status !== 'IN_PROGRESS') {
    return reject('not-in-progress', `the rotation is ${record.status}`, fields);
  }
  if (rotationId !== undefined && rotationId !== record.rotationId) {
    return reject('stale-rotation', `reply for rotation ${rotationId}`, fields);
  }
  const waiting = WAITING_PHASE[kind];
  const again = acceptedAndUnanswered(record, kind);
  if (!again && (record.phase !== waiting || !record.taskToken)) {
    // The same rotation already moved past this wait: a redelivery of a reply that was acted on.
    const duplicate = ROTATION_PHASES.indexOf(record.phase) > ROTATION_PHASES.indexOf(waiting);
    return reject(
      duplicate ? 'duplicate' : 'wrong-phase',
      `the rotation is in phase ${record.phase}`,
      fields,
    );
  }
  if (rotationId === undefined && !deps.acceptMissingRotationId) {
    return reject('missing-rotation-id', 'replies without rotationId are not accepted', fields);
  }
  const expected = kind === 'crt_ack' ? record.newCertificateId : record.oldCertificateId;
  if (!samePrincipal(principal, expected)) {
    return reject(
      'wrong-principal',
      `${kind} must come over the ${kind === 'crt_ack' ? 'new' : 'old'} certificate`,
      {
        ...fields,
        principal,
      },
    );
  }

  return again
    ? answerAgain(record, kind, message.data, deps, fields)
    : accept(record, kind, message.data, deps, fields);
}

/**
 * This kind of reply was accepted for the current wait (its mark is in the record) and the workflow
 * has not moved on: the phase is still the one the acceptance set and the wait's token is still
 * there (the next step's function overwrites it). The invocation that accepted it may have died
 * before Step Functions heard the answer, so a repeated valid reply sends the answer again.
 */
function acceptedAndUnanswered(record: RotationRecord, kind: DeviceReplyKind): boolean {
  return (
    record.rotationId !== undefined &&
    record.acceptedReply === acceptedReplyMark(record.rotationId, kind) &&
    record.phase === NEXT_PHASE[kind] &&
    record.taskToken !== undefined
  );
}

/**
 * The reply meets invariant 3 and the rotation waits for it: one conditional write checks all of it
 * (status, rotationId, phase, token, no reply accepted yet, the certificate it came over), marks it
 * accepted and returns the record with the token, which is then answered. Undefined when the write's
 * condition failed: the caller reads the record and tells why, or accepts it the long way when a check
 * the write cannot make (a principal in another letter case) was all that differed.
 */
async function acceptPending(
  thingName: string,
  rotationId: string,
  kind: DeviceReplyKind,
  principal: string,
  message: Record<string, unknown>,
  deps: DeviceReplyDeps,
): Promise<ReplyOutcome | undefined> {
  const provenAt = new Date(deps.clock.now()).toISOString();
  const certificateId = principal.toLowerCase();
  const record = await deps.store.acceptPendingReply({
    thingName,
    rotationId,
    phase: WAITING_PHASE[kind],
    kind,
    nextPhase: NEXT_PHASE[kind],
    principal: { attribute: kind === 'crt_ack' ? 'newCertificateId' : 'oldCertificateId', certificateId },
    set: acceptedAttributes(kind, message, provenAt, certificateId),
    now: deps.clock.now(),
  });
  if (!record) return undefined;
  return answerAccepted(record, kind, message, provenAt, deps, {
    thingName,
    rotationId: record.rotationId,
    kind,
  });
}

/** What the acceptance of a reply records besides its mark: the proof, or the device's error. */
function acceptedAttributes(
  kind: DeviceReplyKind,
  message: Record<string, unknown>,
  provenAt: string,
  newCertificateId: string,
): Record<string, string> {
  if (kind === 'crt_ack') return { provenAt, provenCertificateId: newCertificateId };
  if (kind === 'crt_err') return { lastError: `crt_err: ${deviceErrorOf(message)}` };
  return {};
}

/**
 * First delivery of a reply to the pending wait, after a read: marks it accepted with a conditional
 * write (one delivery wins; the token stays in the record), then answers Step Functions. If the
 * invocation dies between the two, the mark lets the retried reply answer (answerAgain); if the answer
 * fails, the error is thrown so the rule's retry does the same.
 */
async function accept(
  record: RotationRecord,
  kind: DeviceReplyKind,
  message: Record<string, unknown>,
  deps: DeviceReplyDeps,
  fields: Record<string, unknown>,
): Promise<ReplyOutcome> {
  const taskToken = record.taskToken ?? '';
  const rotationId = record.rotationId ?? '';
  const provenAt = new Date(deps.clock.now()).toISOString();
  const withoutRotationId = message.rotationId === undefined;
  const accepted = await deps.store.acceptReply({
    thingName: record.thingName,
    rotationId,
    phase: WAITING_PHASE[kind],
    kind,
    taskToken,
    nextPhase: NEXT_PHASE[kind],
    set: acceptedAttributes(kind, message, provenAt, record.newCertificateId ?? ''),
    ...(withoutRotationId ? { acceptedWithoutRotationId: withoutRotationIdAdding(record, kind) } : {}),
    now: deps.clock.now(),
  });
  if (!accepted) {
    deps.counter.count('ReplyRejected', { reason: 'duplicate' });
    deps.log.warn('device reply rejected', {
      reason: 'duplicate',
      detail: 'another delivery of this reply was accepted',
      ...fields,
    });
    return {
      outcome: 'rejected',
      reason: 'duplicate',
      detail: 'another delivery of this reply was accepted',
    };
  }
  return answerAccepted(record, kind, message, provenAt, deps, fields);
}

/**
 * The record's list of reply kinds this execution accepted without rotationId, with `kind` added; a
 * list left by an earlier execution of the thing starts over.
 */
function withoutRotationIdAdding(
  record: RotationRecord,
  kind: DeviceReplyKind,
): { executionArn: string; kinds: string[] } {
  const previous = record.acceptedWithoutRotationId;
  const kinds = previous?.executionArn === record.executionArn ? previous.kinds : [];
  return { executionArn: record.executionArn, kinds: kinds.includes(kind) ? kinds : [...kinds, kind] };
}

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
  deps: DeviceReplyDeps,
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
async function answerAccepted(
  record: RotationRecord,
  kind: DeviceReplyKind,
  message: Record<string, unknown>,
  provenAt: string,
  deps: DeviceReplyDeps,
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
async function answerAgain(
  record: RotationRecord,
  kind: DeviceReplyKind,
  message: Record<string, unknown>,
  deps: DeviceReplyDeps,
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

const deviceErrorOf = (message: Record<string, unknown>): string =>
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
  deps: DeviceReplyDeps,
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
async function unparkInCampaign(record: RotationRecord, deps: DeviceReplyDeps): Promise<void> {
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
