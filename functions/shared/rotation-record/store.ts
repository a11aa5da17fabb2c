import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { awsCall } from '../../../workflows/rotate-device/aws-errors.ts';
import { RotationStateInvalid, RotationSuperseded } from '../../../workflows/rotate-device/errors.ts';
import type { DeviceReplyKind } from '../../../workflows/rotate-device/protocol.ts';
import {
  type CopiedPolicies,
  csrRequestMark,
  type Fence,
  parseRotationRecord,
  type RotationRecord,
} from '../../../workflows/rotate-device/record.ts';
import {
  acceptedReplyMark,
  acceptPendingReply,
  acceptReadReply,
  RECORD_WRITES,
  TOKEN_UNANSWERED,
} from '../../../workflows/rotate-device/record-transitions.ts';
import type { RotationPhase } from '../../../workflows/rotate-device/table.ts';
import { fromAttributeMap, getDocument } from '../document-commands.ts';
import { UpdateExpression } from '../update-expression.ts';
import { RecordWriter, type WriteOutcome } from './record-writer.ts';

const iso = (ms: number): string => new Date(ms).toISOString();
const fenceParams = (f: Fence) => ({ executionArn: f.executionArn, rotationId: f.rotationId });

/**
 * A wait stored (`record`: as written, or as it was for awaitReplyReturningPrevious), or found already
 * answered: this token's reply was accepted, the record is left as it is (`record`: as found).
 */
export interface WaitOutcome {
  readonly answered: boolean;
  readonly record: RotationRecord;
}

export interface AwaitReplyParams {
  fence: Fence;
  phase: 'AWAITING_CSR' | 'AWAITING_ACK';
  taskToken: string;
  attempt?: number;
  previousError?: string | null;
  now: number;
}

/** A reply accepted for the pending wait of its kind; `set` holds the reply's own attributes. */
interface Acceptance {
  thingName: string;
  rotationId: string;
  kind: DeviceReplyKind;
  set?: Readonly<Record<string, string>>;
  now: number;
}

export interface AcceptPendingReplyParams extends Acceptance {
  /** The certificate the reply came over (principal()), which the kind's record attribute must hold. */
  principal: string;
}

export interface AcceptReadReplyParams extends Acceptance {
  taskToken: string;
  /**
   * For a reply without rotationId: the record's acceptedWithoutRotationId with this kind added.
   * Computed from the record read before, which the token condition proves unchanged.
   */
  acceptedWithoutRotationId?: { executionArn: string; kinds: readonly string[] };
}

/** The acceptance mark, the time and the reply's attributes: what every acceptance writes. */
const acceptanceUpdate = (p: Acceptance): UpdateExpression =>
  new UpdateExpression()
    .set('acceptedReply', acceptedReplyMark(p.rotationId, p.kind))
    .set('updatedAt', iso(p.now))
    .setAll(p.set ?? {});

/** The rotation record's reads and writes; each write is an entry of the record-transitions table. */
export class RotationRecordStore {
  private readonly writer: RecordWriter;

  constructor(
    private readonly db: DynamoDBClient,
    readonly tableName: string,
  ) {
    this.writer = new RecordWriter(db, tableName);
  }

  async get(thingName: string): Promise<RotationRecord | undefined> {
    const out = await awsCall('GetItem', () =>
      this.db.send(getDocument({ TableName: this.tableName, Key: { thingName }, ConsistentRead: true })),
    );
    return out.Item ? parseRotationRecord(thingName, fromAttributeMap(out.Item)) : undefined;
  }

  /**
   * Reads the record and throws the error that explains why a fenced write found it changed:
   * another execution owns it (RotationSuperseded) or it is in another attempt or phase.
   */
  async explain(fence: Fence, what: string): Promise<never> {
    return this.explainRecord(await this.get(fence.thingName), fence, what);
  }

  /** explain, for a caller that holds the record (read, or returned with a refused write). */
  explainRecord(record: RotationRecord | undefined, fence: Fence, what: string): never {
    if (!record || record.executionArn !== fence.executionArn) {
      throw new RotationSuperseded(
        `${what}: the rotation record of ${fence.thingName} belongs to ${record?.executionArn ?? 'no execution'}`,
      );
    }
    throw new RotationStateInvalid(
      `${what}: the record of ${fence.thingName} is in phase ${record.phase} of rotation ${record.rotationId ?? '-'}, ` +
        `not the expected one of rotation ${fence.rotationId}`,
    );
  }

  /**
   * Stores the callback token of a new wait (csr_req or crt_res) with its phase and rotationId.
   * For AWAITING_ACK the record must hold this rotation's new certificate.
   */
  async awaitReply(p: AwaitReplyParams): Promise<WaitOutcome> {
    return this.storeWait(p, 'ALL_NEW');
  }

  /**
   * The same write as awaitReply, returning the record as it was before it: request-csr tells a
   * request repeated after a timeout (same rotationId, attempt and wait) from a first one without
   * reading the record again.
   */
  async awaitReplyReturningPrevious(p: AwaitReplyParams): Promise<WaitOutcome> {
    return this.storeWait(p, 'ALL_OLD');
  }

  private async storeWait(p: AwaitReplyParams, returnValues: 'ALL_NEW' | 'ALL_OLD'): Promise<WaitOutcome> {
    // A new wait has no accepted reply yet, and its request is not known to be unsent.
    const update = new UpdateExpression()
      .set('rotationId', p.fence.rotationId)
      .set('taskToken', p.taskToken)
      .set('updatedAt', iso(p.now))
      .setAll({ attempt: p.attempt, lastError: p.previousError || undefined })
      .remove('acceptedReply', 'csrRequestUnsent');
    const outcome = await this.writer.write({
      thingName: p.fence.thingName,
      write: p.phase === 'AWAITING_ACK' ? RECORD_WRITES.awaitAck : RECORD_WRITES.awaitCsr,
      params: { ...fenceParams(p.fence), taskToken: p.taskToken },
      update,
      now: iso(p.now),
      returnValues,
      label: `store the ${p.phase} task token`,
    });
    if (outcome.written) return { answered: false, record: outcome.record };
    if (outcome.record && outcome.failed.length === 1 && outcome.failed[0] === TOKEN_UNANSWERED.name) {
      return { answered: true, record: outcome.record };
    }
    return this.explainRecord(outcome.record, p.fence, `cannot wait for ${p.phase}`);
  }

  /**
   * The happy path of a device reply in one write: marks it accepted for the pending wait only if
   * the record meets the table's acceptPendingReply (invariant 3). Written: the record as written
   * (its token and certificate ids for the answer). Refused: the record as it was, and why.
   */
  async acceptPendingReply(p: AcceptPendingReplyParams): Promise<WriteOutcome> {
    return this.writer.write({
      thingName: p.thingName,
      write: acceptPendingReply(p.kind),
      params: { rotationId: p.rotationId, principal: p.principal },
      update: acceptanceUpdate(p),
      now: iso(p.now),
      label: 'accept the pending reply',
    });
  }

  /**
   * Marks one reply, read first, as accepted for its wait: succeeds once per wait (the phase moves
   * on), so of two deliveries of a reply only one is accepted (invariant 8). The token stays in the
   * record until the next wait overwrites it: an invocation that dies before Step Functions heard
   * the answer leaves the mark, and the retried reply sends the answer again. False when the wait is
   * not pending with this token any more.
   */
  async acceptReply(p: AcceptReadReplyParams): Promise<boolean> {
    const update = acceptanceUpdate(p).setAll({ acceptedWithoutRotationId: p.acceptedWithoutRotationId });
    const outcome = await this.writer.write({
      thingName: p.thingName,
      write: acceptReadReply(p.kind),
      params: { rotationId: p.rotationId, taskToken: p.taskToken },
      update,
      now: iso(p.now),
      label: 'accept the reply',
    });
    return outcome.written;
  }

  /**
   * Records that request-csr parked this rotation's CSR wait in its campaign, so device-reply (which
   * reads the record anyway) unparks it when the CSR comes, and spends no write otherwise.
   */
  async markParked(p: { fence: Fence; now: number }): Promise<boolean> {
    const update = new UpdateExpression()
      .set('campaignParkedRotationId', p.fence.rotationId)
      .set('updatedAt', iso(p.now));
    return (await this.fenced(p.fence, RECORD_WRITES.markParked, update, p.now, 'mark the rotation parked'))
      .written;
  }

  /**
   * Records that the csr_req of this rotationId and attempt could not be published: the step's retry
   * is the same request again, not a repeat after a timeout. Written on that failure only.
   */
  async markCsrRequestUnsent(p: { fence: Fence; attempt: number; now: number }): Promise<boolean> {
    const update = new UpdateExpression()
      .set('csrRequestUnsent', csrRequestMark(p.fence.rotationId, p.attempt))
      .set('updatedAt', iso(p.now));
    const write = RECORD_WRITES.markCsrRequestUnsent;
    return (await this.fenced(p.fence, write, update, p.now, 'mark the csr_req unsent')).written;
  }

  /**
   * The issuance marker, written before CreateCertificateFromCsr: refused when this rotationId
   * already has one, i.e. an earlier run of the step got this far, or when the record is not this
   * rotation's (of `oldCertificateId`, when given); the refusal's record tells which.
   */
  async markIssuing(p: {
    fence: Fence;
    keyFingerprint: string;
    oldCertificateId?: string;
    now: number;
  }): Promise<WriteOutcome> {
    const update = new UpdateExpression()
      .set('issuingRotationId', p.fence.rotationId)
      .set('issuingKeyFingerprint', p.keyFingerprint)
      .set('issuingStartedAt', iso(p.now))
      .set('updatedAt', iso(p.now));
    return this.writer.write({
      thingName: p.fence.thingName,
      write: RECORD_WRITES.markIssuing,
      params: { ...fenceParams(p.fence), oldCertificateId: p.oldCertificateId },
      update,
      now: iso(p.now),
      label: 'mark the issuance',
    });
  }

  /** Drops this attempt's marker after AWS definitely refused to issue (e.g. throttled). */
  async clearIssuing(p: { fence: Fence; now: number }): Promise<void> {
    const update = new UpdateExpression()
      .set('updatedAt', iso(p.now))
      .remove('issuingRotationId', 'issuingKeyFingerprint', 'issuingStartedAt');
    await this.fenced(p.fence, RECORD_WRITES.clearIssuing, update, p.now, 'clear the issuance marker');
  }

  /**
   * Records the certificate that CreateCertificateFromCsr just returned, before anything else, with
   * the phase ISSUED and the policies the step is about to copy from the old certificate (listed
   * before the certificate was created): one write. The attachments follow; a retried step finds
   * this rotationId's certificate here and finishes them.
   */
  async recordIssued(p: {
    fence: Fence;
    certificateId: string;
    certificateArn: string;
    certificatePem: string;
    /** The old certificate's ARN and policies (copiedPolicies of this rotationId). */
    copying: Omit<CopiedPolicies, 'rotationId'>;
    now: number;
  }): Promise<boolean> {
    const copied: CopiedPolicies = {
      rotationId: p.fence.rotationId,
      fromCertificateArn: p.copying.fromCertificateArn,
      policyNames: p.copying.policyNames,
    };
    const update = new UpdateExpression()
      .set('newCertificateId', p.certificateId)
      .set('newCertificateArn', p.certificateArn)
      .set('newCertificatePem', p.certificatePem)
      .set('newCertificateRotationId', p.fence.rotationId)
      .set('copiedPolicies', copied)
      .set('updatedAt', iso(p.now));
    const write = RECORD_WRITES.recordIssued;
    return (await this.fenced(p.fence, write, update, p.now, 'record the new certificate')).written;
  }

  /** A phase change of the current rotation, with optional extra attributes. */
  async setPhase(p: {
    fence: Fence;
    phase: RotationPhase;
    set?: Readonly<Record<string, string | number | CopiedPolicies>>;
    remove?: readonly string[];
    now: number;
  }): Promise<RotationRecord> {
    const update = new UpdateExpression()
      .set('updatedAt', iso(p.now))
      .setAll(p.set ?? {})
      .remove(...(p.remove ?? []));
    const outcome = await this.writer.write({
      thingName: p.fence.thingName,
      write: RECORD_WRITES.setPhase,
      params: fenceParams(p.fence),
      update,
      now: iso(p.now),
      phase: p.phase,
      label: `set phase ${p.phase}`,
    });
    if (outcome.written) return outcome.record;
    return this.explainRecord(outcome.record, p.fence, `cannot set phase ${p.phase}`);
  }

  /** Records a rejected CSR (invariant 4: recorded, not silently dropped). */
  async recordError(p: { fence: Fence; error: string; now: number }): Promise<void> {
    const update = new UpdateExpression()
      .set('lastError', p.error.slice(0, 1024))
      .set('updatedAt', iso(p.now));
    await this.fenced(p.fence, RECORD_WRITES.recordError, update, p.now, 'record the error');
  }

  /** Moves this attempt's certificate to the revoked list. */
  async recordRevoked(p: {
    fence: Fence;
    certificateId: string;
    reason: string | null;
    now: number;
  }): Promise<void> {
    const update = new UpdateExpression()
      .set('updatedAt', iso(p.now))
      .set('lastError', p.reason ?? 'revoked')
      .appendToList('revokedCertificateIds', [p.certificateId])
      .remove('newCertificateId', 'newCertificateArn', 'newCertificatePem', 'taskToken');
    const outcome = await this.writer.write({
      thingName: p.fence.thingName,
      write: RECORD_WRITES.recordRevoked,
      params: { ...fenceParams(p.fence), certificateId: p.certificateId },
      update,
      now: iso(p.now),
      label: 'record the revocation',
    });
    if (!outcome.written) this.explainRecord(outcome.record, p.fence, 'cannot record the revocation');
  }

  /**
   * Records how an execution ended, if the record is still that execution's and in progress: the
   * record when this call changed it, or when it already says so but is not yet escalated (a retried
   * event must still escalate once; that case is not written again, so the index entry stays).
   */
  async recordOutcome(p: {
    thingName: string;
    executionArn: string;
    status: 'FAILED' | 'TIMED_OUT' | 'ABORTED';
    cause: string;
    now: number;
    retentionSeconds: number;
  }): Promise<RotationRecord | undefined> {
    const update = new UpdateExpression()
      .set('lastError', p.cause.slice(0, 1024))
      .set('completedAt', iso(p.now))
      .set('updatedAt', iso(p.now))
      .set('expiresAt', Math.floor(p.now / 1000) + p.retentionSeconds)
      .remove('taskToken');
    const outcome = await this.writer.write({
      thingName: p.thingName,
      write: RECORD_WRITES.recordOutcome,
      params: { executionArn: p.executionArn },
      update,
      now: iso(p.now),
      status: p.status,
      label: 'record the outcome',
    });
    if (outcome.written) return outcome.record;
    // Refused: the record as DynamoDB found it says whether this outcome is already there.
    const current = outcome.record;
    return current?.executionArn === p.executionArn &&
      current.status === p.status &&
      current.escalatedAt === undefined
      ? current
      : undefined;
  }

  async markEscalated(p: { thingName: string; executionArn: string; now: number }): Promise<void> {
    await this.writer.write({
      thingName: p.thingName,
      write: RECORD_WRITES.markEscalated,
      params: { executionArn: p.executionArn },
      update: new UpdateExpression().set('escalatedAt', iso(p.now)),
      now: iso(p.now),
      label: 'mark the escalation',
    });
  }

  /** A write whose requirements compare with the fence only. */
  private fenced(
    fence: Fence,
    write: (typeof RECORD_WRITES)[keyof typeof RECORD_WRITES],
    update: UpdateExpression,
    now: number,
    label: string,
  ): Promise<WriteOutcome> {
    return this.writer.write({
      thingName: fence.thingName,
      write,
      params: fenceParams(fence),
      update,
      now: iso(now),
      label,
    });
  }
}
