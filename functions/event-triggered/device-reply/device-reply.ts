import type { SFNClient } from '@aws-sdk/client-sfn';
import { z } from 'zod';
import type { TimeSource } from '../../../lib/clock.ts';
import type { RejectionReason } from '../../../workflows/rotate-device/functions.ts';
import {
  DEVICE_TO_CLOUD,
  type DeviceReplyKind,
  isThingName,
  MESSAGE_SCHEMAS,
} from '../../../workflows/rotate-device/protocol.ts';
import {
  acceptedReplyMark,
  acceptedUnanswered,
  acceptPendingReply,
  failedRequirements,
  isPast,
  REPLY_TRANSITIONS,
} from '../../../workflows/rotate-device/record-transitions.ts';
import type { CampaignCounters } from '../../shared/campaign-counters.ts';
import type { Counter, Log } from '../../shared/observability.ts';
import type { RotationRecord, RotationRecordStore } from '../../shared/rotation-record.ts';
import { answerAccepted, answerAgain, deviceErrorOf } from './answer.ts';

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
 * A reply that carries its rotationId costs one DynamoDB call: the write that accepts it holds every
 * check (record-transitions.ts), and when it is refused DynamoDB returns the record, which the same
 * checks explain. A reply without rotationId is read first: its acceptance mark needs the record's
 * rotationId; its kind is noted in the record's acceptedWithoutRotationId by the accepting write.
 */
export async function handleDeviceReply(event: unknown, deps: DeviceReplyDeps): Promise<ReplyOutcome> {
  const parsed = DeviceReplyEvent.safeParse(event);
  if (!parsed.success) {
    return reject(
      deps,
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
      deps,
      'malformed',
      `${kind} payload: ${message.error.issues.map((i) => i.path.join('.') || i.message).join(', ')}`,
      { clientId },
    );
  }
  if (!isThingName(clientId)) {
    return reject(deps, 'unknown-thing', 'the client id is not a thing name', { clientId });
  }
  const reply: Reply = {
    thingName: clientId,
    kind,
    rotationId: message.data.rotationId,
    // principal() of a certificate-authenticated client is the certificate id, in any letter case.
    certificateId: principal.toLowerCase(),
    message: message.data,
  };
  let record: RotationRecord | undefined;
  if (reply.rotationId !== undefined) {
    const provenAt = new Date(deps.clock.now()).toISOString();
    const outcome = await deps.store.acceptPendingReply({
      thingName: reply.thingName,
      rotationId: reply.rotationId,
      kind,
      principal: reply.certificateId,
      set: acceptedAttributes(reply, provenAt, reply.certificateId),
      now: deps.clock.now(),
    });
    if (outcome.written) {
      const fields = { thingName: reply.thingName, rotationId: outcome.record.rotationId, kind };
      return answerAccepted(outcome.record, kind, reply.message, provenAt, deps, fields);
    }
    // Refused: the record as DynamoDB found it tells why, with no read.
    record = outcome.record;
  } else {
    record = await deps.store.get(reply.thingName);
  }
  if (!record) {
    return reject(deps, 'unknown-thing', 'no rotation record for this client id', {
      thingName: reply.thingName,
    });
  }
  return judge(record, reply, deps);
}

/** A reply that passed parsing: what the checks compare with the record. */
interface Reply {
  readonly thingName: string;
  readonly kind: DeviceReplyKind;
  readonly rotationId: string | undefined;
  readonly certificateId: string;
  readonly message: Record<string, unknown>;
}

/**
 * Decides on a reply from the record, by the requirements of the table's acceptance write: the
 * first that fails names the rejection. A reply that was accepted and whose answer Step Functions
 * may not have heard is answered again; one that meets them all is accepted by its token.
 */
async function judge(record: RotationRecord, reply: Reply, deps: DeviceReplyDeps): Promise<ReplyOutcome> {
  const { kind, rotationId } = reply;
  const fields = { thingName: reply.thingName, rotationId: record.rotationId, kind };
  const failed = failedRequirements(acceptPendingReply(kind).requires, record, {
    rotationId: rotationId ?? record.rotationId ?? '',
    principal: reply.certificateId,
  }).filter(
    // A reply without rotationId is of the record's attempt; a mark without a token is not checked
    // here: the acceptance by token decides.
    (name) => !(name === 'rotation' && rotationId === undefined) && name !== 'unanswered',
  );
  if (failed.includes('inProgress')) {
    return reject(deps, 'not-in-progress', `the rotation is ${record.status}`, fields);
  }
  if (failed.includes('rotation')) {
    return reject(deps, 'stale-rotation', `reply for rotation ${rotationId}`, fields);
  }
  const again =
    record.rotationId !== undefined &&
    failedRequirements(acceptedUnanswered(kind), record, {
      acceptedReply: acceptedReplyMark(record.rotationId, kind),
    }).length === 0;
  if (!again && (failed.includes('phase') || failed.includes('waiting'))) {
    // The attempt already went past this wait: a redelivery of a reply that was acted on.
    const duplicate = isPast(record.phase, REPLY_TRANSITIONS[kind].wait);
    return reject(
      deps,
      duplicate ? 'duplicate' : 'wrong-phase',
      `the rotation is in phase ${record.phase}`,
      fields,
    );
  }
  if (rotationId === undefined && !deps.acceptMissingRotationId) {
    return reject(deps, 'missing-rotation-id', 'replies without rotationId are not accepted', fields);
  }
  if (failed.includes('principal')) {
    const which = REPLY_TRANSITIONS[kind].principal === 'newCertificateId' ? 'new' : 'old';
    return reject(deps, 'wrong-principal', `${kind} must come over the ${which} certificate`, {
      ...fields,
      principal: reply.certificateId,
    });
  }
  return again ? answerAgain(record, kind, reply.message, deps, fields) : accept(record, reply, deps, fields);
}

function reject(
  deps: DeviceReplyDeps,
  reason: RejectionReason,
  detail: string,
  fields: Record<string, unknown> = {},
): ReplyOutcome {
  deps.counter.count('ReplyRejected', { reason });
  deps.log.warn('device reply rejected', { reason, detail, ...fields });
  return { outcome: 'rejected', reason, detail };
}

/** What the acceptance of a reply records besides its mark: the proof, or the device's error. */
function acceptedAttributes(
  reply: Reply,
  provenAt: string,
  newCertificateId: string,
): Record<string, string> {
  if (reply.kind === 'crt_ack') return { provenAt, provenCertificateId: newCertificateId };
  if (reply.kind === 'crt_err') return { lastError: `crt_err: ${deviceErrorOf(reply.message)}` };
  return {};
}

/**
 * A reply to the pending wait, decided on a record read or returned: marks it accepted with a write
 * conditioned on the wait's token (one delivery wins; the token stays in the record), then answers
 * Step Functions. If the invocation dies between the two, the mark lets the retried reply answer
 * (answerAgain); if the answer fails, the error is thrown so the rule's retry does the same.
 */
async function accept(
  record: RotationRecord,
  reply: Reply,
  deps: DeviceReplyDeps,
  fields: Record<string, unknown>,
): Promise<ReplyOutcome> {
  const provenAt = new Date(deps.clock.now()).toISOString();
  const accepted = await deps.store.acceptReply({
    thingName: record.thingName,
    rotationId: record.rotationId ?? '',
    kind: reply.kind,
    taskToken: record.taskToken ?? '',
    set: acceptedAttributes(reply, provenAt, record.newCertificateId ?? ''),
    ...(reply.rotationId === undefined
      ? { acceptedWithoutRotationId: withoutRotationIdAdding(record, reply.kind) }
      : {}),
    now: deps.clock.now(),
  });
  if (!accepted) return reject(deps, 'duplicate', 'another delivery of this reply was accepted', fields);
  return answerAccepted(record, reply.kind, reply.message, provenAt, deps, fields);
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
