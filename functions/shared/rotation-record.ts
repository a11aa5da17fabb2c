import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { RotationStateInvalid, RotationSuperseded } from '../../workflows/rotate-device/errors.ts';
import {
  ROTATION_PHASES,
  ROTATION_STATUSES,
  type RotationPhase,
} from '../../workflows/rotate-device/table.ts';
import { awsCall, isNamed } from './aws-errors.ts';
import {
  documentOf,
  fromAttributeMap,
  getDocument,
  type UpdateDocumentInput,
  updateDocument,
} from './document-commands.ts';

/**
 * The policies the issue step copied from the old certificate to the new one, in the attempt
 * `rotationId`. Retire detaches exactly these from the old certificate (and revoke from the new one)
 * without listing them again; a policy attached since then makes DeleteCertificate conflict, and
 * only then are the policies listed.
 */
export const CopiedPolicies = z.object({
  rotationId: z.string(),
  /** The ARN of the certificate they were copied from (the old one). */
  fromCertificateArn: z.string(),
  policyNames: z.array(z.string()),
});
export type CopiedPolicies = z.infer<typeof CopiedPolicies>;

/**
 * The rotation record, one item per thing, as stored (see workflows/rotate-device/table.ts). Every
 * change is a conditional write fenced by the execution ARN and, past the claim, the rotationId,
 * so a superseded execution or a late duplicate never overwrites a newer rotation. No transactions:
 * the local DynamoDB (dynalite) has none, and none is needed with one item per thing.
 */
export const RotationRecord = z.object({
  thingName: z.string(),
  status: z.enum(ROTATION_STATUSES),
  phase: z.enum(ROTATION_PHASES),
  executionArn: z.string(),
  oldCertificateId: z.string(),
  campaign: z.string().optional(),
  attempt: z.number().optional(),
  rotationId: z.string().optional(),
  /**
   * The callback's task token: cloud side only, never in a message or a log line. It stays after a
   * reply was accepted, until the next wait overwrites it, so an interrupted answer can be sent again.
   */
  taskToken: z.string().optional(),
  /** `<rotationId>/<kind>` of the reply accepted for the current wait (device-reply's idempotency mark). */
  acceptedReply: z.string().optional(),
  /**
   * The kinds of reply this execution accepted without a rotationId (the blog-compatible mode,
   * ACCEPT_REPLIES_WITHOUT_ROTATION_ID), written by the write that accepts such a reply. It names its
   * execution because a later rotation's claim leaves it in the record.
   */
  acceptedWithoutRotationId: z.object({ executionArn: z.string(), kinds: z.array(z.string()) }).optional(),
  /** The rotationId whose CSR wait request-csr parked in its campaign (device-reply unparks only then). */
  campaignParkedRotationId: z.string().optional(),
  /** `<rotationId>/<attempt>` of a csr_req whose publish failed: its retry is no repeat after a timeout. */
  csrRequestUnsent: z.string().optional(),
  issuingRotationId: z.string().optional(),
  issuingKeyFingerprint: z.string().optional(),
  issuingStartedAt: z.string().optional(),
  newCertificateId: z.string().optional(),
  newCertificateArn: z.string().optional(),
  newCertificatePem: z.string().optional(),
  newCertificateRotationId: z.string().optional(),
  copiedPolicies: CopiedPolicies.optional(),
  provenAt: z.string().optional(),
  provenCertificateId: z.string().optional(),
  revokedCertificateIds: z.array(z.string()).optional(),
  oldCertificateRetiredAt: z.string().optional(),
  oldCertificateDeleteAfter: z.string().optional(),
  startedAt: z.string().optional(),
  /**
   * When the record entered its current status (ISO-8601 UTC): the byStatus index's sort key, set by
   * the writes that change `status` and by no other. Records written before it existed lack it.
   */
  statusSince: z.string().optional(),
  updatedAt: z.string().optional(),
  completedAt: z.string().optional(),
  escalatedAt: z.string().optional(),
  expiresAt: z.number().optional(),
  lastError: z.string().optional(),
});
export type RotationRecord = z.infer<typeof RotationRecord>;

export class CorruptRecordError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'CorruptRecordError';
  }
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** Fields a resumed (redriven) rotation clears, so the record is IN_PROGRESS again. */
const RESUME_REMOVE = 'completedAt, expiresAt, escalatedAt';

/**
 * A write of an in-progress rotation: its SET and REMOVE clauses and its fence. It is made first on
 * the condition that the record is IN_PROGRESS, touching neither `status` nor `statusSince`, so the
 * byStatus index is not written. Only when that fails is it made again as the resumption of a
 * redriven execution, whose record says FAILED / TIMED_OUT / ABORTED: then it sets IN_PROGRESS and
 * `statusSince` too, and clears what the end of the rotation had set.
 */
interface InProgressWrite {
  readonly key: string;
  readonly sets: readonly string[];
  readonly remove?: readonly string[];
  readonly condition: string;
  readonly names?: Readonly<Record<string, string>>;
  /** Must hold `:now`, the time of the write (the resumption's statusSince). */
  readonly values: Readonly<Record<string, unknown>>;
  readonly returnValues?: 'ALL_NEW' | 'ALL_OLD';
}

/** device-reply's mark of the reply accepted for a wait. */
export const acceptedReplyMark = (rotationId: string, kind: string): string => `${rotationId}/${kind}`;
/** request-csr's name for one request: the rotationId and the certificate attempt. */
export const csrRequestMark = (rotationId: string, attempt: number): string => `${rotationId}/${attempt}`;

export interface AwaitReplyParams {
  fence: Fence;
  phase: 'AWAITING_CSR' | 'AWAITING_ACK';
  taskToken: string;
  attempt?: number;
  previousError?: string | null;
  now: number;
}

/** What accepting a reply writes: the next phase, the acceptance mark and the reply's own attributes. */
interface Acceptance {
  rotationId: string;
  phase: 'AWAITING_CSR' | 'AWAITING_ACK';
  kind: string;
  nextPhase: RotationPhase;
  set?: Readonly<Record<string, string>>;
  now: number;
}

export interface AcceptPendingReplyParams extends Acceptance {
  thingName: string;
  /** The certificate the reply came over (principal()), and the record attribute that must hold it. */
  principal: { attribute: 'oldCertificateId' | 'newCertificateId'; certificateId: string };
}

function acceptanceOf(p: Acceptance): {
  sets: string[];
  names: Record<string, string>;
  values: Record<string, unknown>;
} {
  const extra = Object.entries(p.set ?? {});
  const sets = [
    '#phase = :next',
    'acceptedReply = :accepted',
    'updatedAt = :now',
    ...extra.map((_, i) => `#x${i} = :x${i}`),
  ];
  const names: Record<string, string> = { '#phase': 'phase' };
  const values: Record<string, unknown> = {
    ':next': p.nextPhase,
    ':accepted': acceptedReplyMark(p.rotationId, p.kind),
    ':phase': p.phase,
    ':rid': p.rotationId,
    ':now': iso(p.now),
  };
  extra.forEach(([key, value], i) => {
    names[`#x${i}`] = key;
    values[`:x${i}`] = value;
  });
  return { sets, names, values };
}

export interface Fence {
  readonly thingName: string;
  readonly executionArn: string;
  readonly rotationId: string;
}

export class RotationRecordStore {
  constructor(
    private readonly db: DynamoDBClient,
    readonly tableName: string,
  ) {}

  async get(thingName: string): Promise<RotationRecord | undefined> {
    const out = await awsCall('GetItem', () =>
      this.db.send(getDocument({ TableName: this.tableName, Key: { thingName }, ConsistentRead: true })),
    );
    if (!out.Item) return undefined;
    const parsed = RotationRecord.safeParse(fromAttributeMap(out.Item));
    if (!parsed.success) {
      throw new CorruptRecordError(`rotation record of ${thingName} is malformed: ${parsed.error.message}`);
    }
    return parsed.data;
  }

  /**
   * Reads the record and throws the error that explains why a fenced write found it changed:
   * another execution owns it (RotationSuperseded) or it is in another attempt or phase.
   */
  async explain(fence: Fence, what: string): Promise<never> {
    return this.explainRecord(await this.get(fence.thingName), fence, what);
  }

  /** explain, for a caller that has just read the record. */
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

  private async update(
    input: Omit<UpdateDocumentInput, 'TableName'>,
    label: string,
  ): Promise<RotationRecord | undefined> {
    try {
      const out = await awsCall(label, () =>
        this.db.send(updateDocument({ TableName: this.tableName, ReturnValues: 'ALL_NEW', ...input })),
      );
      const parsed = RotationRecord.safeParse(documentOf(out.Attributes));
      if (!parsed.success)
        throw new CorruptRecordError(`${label} left a malformed record: ${parsed.error.message}`);
      return parsed.data;
    } catch (error) {
      if (isNamed(error, 'ConditionalCheckFailedException')) return undefined;
      throw error;
    }
  }

  private async updateInProgress(w: InProgressWrite, label: string): Promise<RotationRecord | undefined> {
    const names = { ...w.names, '#status': 'status' };
    const values = { ...w.values, ':inProgress': 'IN_PROGRESS' };
    const common = {
      Key: { thingName: w.key },
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ...(w.returnValues ? { ReturnValues: w.returnValues } : {}),
    };
    const remove = w.remove ?? [];
    const inProgress = await this.update(
      {
        ...common,
        UpdateExpression: `SET ${w.sets.join(', ')}${remove.length > 0 ? ` REMOVE ${remove.join(', ')}` : ''}`,
        ConditionExpression: `(${w.condition}) AND #status = :inProgress`,
      },
      label,
    );
    if (inProgress) return inProgress;
    return this.update(
      {
        ...common,
        UpdateExpression:
          `SET #status = :inProgress, statusSince = :now, ${w.sets.join(', ')} ` +
          `REMOVE ${[RESUME_REMOVE, ...remove].join(', ')}`,
        ConditionExpression: `(${w.condition}) AND #status <> :inProgress`,
      },
      `${label} (resumed)`,
    );
  }

  /**
   * Stores the callback token of a new wait (csr_req or crt_res) with its phase and rotationId.
   * For AWAITING_ACK the record must hold this rotation's new certificate.
   */
  async awaitReply(p: AwaitReplyParams): Promise<RotationRecord> {
    return this.storeWait(p, 'ALL_NEW');
  }

  /**
   * The same write as awaitReply, returning the record as it was before it: request-csr tells a
   * request repeated after a timeout (same rotationId, attempt and wait) from a first one without
   * reading the record again.
   */
  async awaitReplyReturningPrevious(p: AwaitReplyParams): Promise<RotationRecord> {
    return this.storeWait(p, 'ALL_OLD');
  }

  private async storeWait(p: AwaitReplyParams, returnValues: 'ALL_NEW' | 'ALL_OLD'): Promise<RotationRecord> {
    const sets = ['#phase = :phase', 'rotationId = :rid', 'taskToken = :token', 'updatedAt = :now'];
    const values: Record<string, unknown> = {
      ':phase': p.phase,
      ':rid': p.fence.rotationId,
      ':token': p.taskToken,
      ':exec': p.fence.executionArn,
      ':now': iso(p.now),
    };
    if (p.attempt !== undefined) {
      sets.push('attempt = :attempt');
      values[':attempt'] = p.attempt;
    }
    if (p.previousError) {
      sets.push('lastError = :lastError');
      values[':lastError'] = p.previousError;
    }
    let condition = 'executionArn = :exec';
    if (p.phase === 'AWAITING_ACK') {
      condition += ' AND rotationId = :rid AND newCertificateRotationId = :rid';
    }
    // A new wait has no accepted reply yet, and its request is not known to be unsent.
    const record = await this.updateInProgress(
      {
        key: p.fence.thingName,
        sets,
        remove: ['acceptedReply', 'csrRequestUnsent'],
        condition,
        names: { '#phase': 'phase' },
        values,
        returnValues,
      },
      `store the ${p.phase} task token`,
    );
    return record ?? this.explain(p.fence, `cannot wait for ${p.phase}`);
  }

  /**
   * The happy path of a device reply in one write: marks it accepted for the pending wait only if
   * the record says everything a read would have checked (invariant 3): the rotation is in progress
   * under `rotationId`, waits in `phase` with a task token and no reply accepted yet, and the reply
   * came over the expected certificate. Returns the record as written (its token and certificate ids
   * for the answer), or undefined when any of that does not hold: the caller then reads the record
   * to tell why (the local DynamoDB cannot return the item with a failed condition).
   */
  async acceptPendingReply(p: AcceptPendingReplyParams): Promise<RotationRecord | undefined> {
    const { sets, names, values } = acceptanceOf(p);
    names['#status'] = 'status';
    names['#principal'] = p.principal.attribute;
    values[':inProgress'] = 'IN_PROGRESS';
    values[':principal'] = p.principal.certificateId;
    return this.update(
      {
        Key: { thingName: p.thingName },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression:
          '#status = :inProgress AND rotationId = :rid AND #phase = :phase AND attribute_exists(taskToken) ' +
          'AND attribute_not_exists(acceptedReply) AND #principal = :principal',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
      'accept the pending reply',
    );
  }

  /**
   * Marks one reply as accepted for the pending wait: succeeds once per wait (the phase moves on), so
   * of two deliveries of a reply only one is accepted (invariant 8). The token stays in the record
   * until the next wait overwrites it: an invocation that dies before Step Functions heard the
   * answer leaves the mark, and the retried reply sends the answer again. False when the wait is
   * not pending with this token any more.
   */
  async acceptReply(p: {
    thingName: string;
    rotationId: string;
    phase: 'AWAITING_CSR' | 'AWAITING_ACK';
    kind: string;
    taskToken: string;
    nextPhase: RotationPhase;
    set?: Readonly<Record<string, string>>;
    /**
     * For a reply without rotationId: the record's acceptedWithoutRotationId with this kind added.
     * Computed from the record read before, which the token condition proves unchanged.
     */
    acceptedWithoutRotationId?: { executionArn: string; kinds: readonly string[] };
    now: number;
  }): Promise<boolean> {
    const { sets, names, values } = acceptanceOf(p);
    values[':token'] = p.taskToken;
    if (p.acceptedWithoutRotationId) {
      sets.push('acceptedWithoutRotationId = :withoutRotationId');
      values[':withoutRotationId'] = p.acceptedWithoutRotationId;
    }
    const record = await this.update(
      {
        Key: { thingName: p.thingName },
        UpdateExpression: `SET ${sets.join(', ')}`,
        ConditionExpression: '#phase = :phase AND rotationId = :rid AND taskToken = :token',
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      },
      'accept the reply',
    );
    return record !== undefined;
  }

  /**
   * Records that request-csr parked this rotation's CSR wait in its campaign, so device-reply (which
   * reads the record anyway) unparks it when the CSR comes, and spends no write otherwise.
   */
  async markParked(p: { fence: Fence; now: number }): Promise<boolean> {
    const record = await this.update(
      {
        Key: { thingName: p.fence.thingName },
        UpdateExpression: 'SET campaignParkedRotationId = :rid, updatedAt = :now',
        ConditionExpression: 'executionArn = :exec AND rotationId = :rid',
        ExpressionAttributeValues: {
          ':rid': p.fence.rotationId,
          ':exec': p.fence.executionArn,
          ':now': iso(p.now),
        },
      },
      'mark the rotation parked',
    );
    return record !== undefined;
  }

  /**
   * Records that the csr_req of this rotationId and attempt could not be published: the step's retry
   * is the same request again, not a repeat after a timeout. Written on that failure only.
   */
  async markCsrRequestUnsent(p: { fence: Fence; attempt: number; now: number }): Promise<boolean> {
    const record = await this.update(
      {
        Key: { thingName: p.fence.thingName },
        UpdateExpression: 'SET csrRequestUnsent = :request, updatedAt = :now',
        ConditionExpression: 'executionArn = :exec AND rotationId = :rid',
        ExpressionAttributeValues: {
          ':request': csrRequestMark(p.fence.rotationId, p.attempt),
          ':rid': p.fence.rotationId,
          ':exec': p.fence.executionArn,
          ':now': iso(p.now),
        },
      },
      'mark the csr_req unsent',
    );
    return record !== undefined;
  }

  /**
   * The issuance marker, written before CreateCertificateFromCsr: fails (false) when this
   * rotationId already has one, i.e. an earlier run of the step got this far, or when the record is
   * not this rotation's (of `oldCertificateId`, when given). A caller that did not read the record
   * first reads it on false to tell which.
   */
  async markIssuing(p: {
    fence: Fence;
    keyFingerprint: string;
    oldCertificateId?: string;
    now: number;
  }): Promise<boolean> {
    const values: Record<string, unknown> = {
      ':issuing': 'ISSUING',
      ':rid': p.fence.rotationId,
      ':exec': p.fence.executionArn,
      ':fp': p.keyFingerprint,
      ':now': iso(p.now),
    };
    let condition =
      'executionArn = :exec AND rotationId = :rid AND ' +
      '(attribute_not_exists(issuingRotationId) OR issuingRotationId <> :rid)';
    if (p.oldCertificateId !== undefined) {
      condition += ' AND oldCertificateId = :old';
      values[':old'] = p.oldCertificateId;
    }
    const record = await this.updateInProgress(
      {
        key: p.fence.thingName,
        sets: [
          '#phase = :issuing',
          'issuingRotationId = :rid',
          'issuingKeyFingerprint = :fp',
          'issuingStartedAt = :now',
          'updatedAt = :now',
        ],
        condition,
        names: { '#phase': 'phase' },
        values,
      },
      'mark the issuance',
    );
    return record !== undefined;
  }

  /** Drops this attempt's marker after AWS definitely refused to issue (e.g. throttled). */
  async clearIssuing(p: { fence: Fence; now: number }): Promise<void> {
    await this.update(
      {
        Key: { thingName: p.fence.thingName },
        UpdateExpression:
          'SET updatedAt = :now REMOVE issuingRotationId, issuingKeyFingerprint, issuingStartedAt',
        ConditionExpression:
          'executionArn = :exec AND issuingRotationId = :rid AND ' +
          '(attribute_not_exists(newCertificateRotationId) OR newCertificateRotationId <> :rid)',
        ExpressionAttributeValues: {
          ':rid': p.fence.rotationId,
          ':exec': p.fence.executionArn,
          ':now': iso(p.now),
        },
      },
      'clear the issuance marker',
    );
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
    const record = await this.update(
      {
        Key: { thingName: p.fence.thingName },
        UpdateExpression:
          'SET #phase = :issued, newCertificateId = :id, newCertificateArn = :arn, newCertificatePem = :pem, ' +
          'newCertificateRotationId = :rid, copiedPolicies = :copied, updatedAt = :now',
        ConditionExpression:
          'executionArn = :exec AND issuingRotationId = :rid AND ' +
          '(attribute_not_exists(newCertificateRotationId) OR newCertificateRotationId <> :rid)',
        ExpressionAttributeNames: { '#phase': 'phase' },
        ExpressionAttributeValues: {
          ':issued': 'ISSUED',
          ':id': p.certificateId,
          ':arn': p.certificateArn,
          ':pem': p.certificatePem,
          ':copied': {
            rotationId: p.fence.rotationId,
            fromCertificateArn: p.copying.fromCertificateArn,
            policyNames: p.copying.policyNames,
          },
          ':rid': p.fence.rotationId,
          ':exec': p.fence.executionArn,
          ':now': iso(p.now),
        },
      },
      'record the new certificate',
    );
    return record !== undefined;
  }

  /** A phase change of the current rotation, with optional extra attributes. */
  async setPhase(p: {
    fence: Fence;
    phase: RotationPhase;
    set?: Readonly<Record<string, string | number | CopiedPolicies>>;
    remove?: readonly string[];
    now: number;
  }): Promise<RotationRecord> {
    const extra = Object.entries(p.set ?? {});
    const names: Record<string, string> = { '#phase': 'phase' };
    const values: Record<string, unknown> = {
      ':phase': p.phase,
      ':rid': p.fence.rotationId,
      ':exec': p.fence.executionArn,
      ':now': iso(p.now),
    };
    extra.forEach(([key, value], i) => {
      names[`#x${i}`] = key;
      values[`:x${i}`] = value;
    });
    const sets = ['#phase = :phase', 'updatedAt = :now', ...extra.map((_, i) => `#x${i} = :x${i}`)];
    const record = await this.updateInProgress(
      {
        key: p.fence.thingName,
        sets,
        remove: p.remove ?? [],
        condition: 'executionArn = :exec AND rotationId = :rid',
        names,
        values,
      },
      `set phase ${p.phase}`,
    );
    return record ?? this.explain(p.fence, `cannot set phase ${p.phase}`);
  }

  /** Records a rejected CSR (invariant 4: recorded, not silently dropped). */
  async recordError(p: { fence: Fence; error: string; now: number }): Promise<void> {
    await this.update(
      {
        Key: { thingName: p.fence.thingName },
        UpdateExpression: 'SET lastError = :error, updatedAt = :now',
        ConditionExpression: 'executionArn = :exec AND rotationId = :rid',
        ExpressionAttributeValues: {
          ':error': p.error.slice(0, 1024),
          ':exec': p.fence.executionArn,
          ':rid': p.fence.rotationId,
          ':now': iso(p.now),
        },
      },
      'record the error',
    );
  }

  /** Moves this attempt's certificate to the revoked list. */
  async recordRevoked(p: {
    fence: Fence;
    certificateId: string;
    reason: string | null;
    now: number;
  }): Promise<void> {
    const record = await this.update(
      {
        Key: { thingName: p.fence.thingName },
        UpdateExpression:
          'SET #phase = :revoked, updatedAt = :now, lastError = :reason, ' +
          'revokedCertificateIds = list_append(if_not_exists(revokedCertificateIds, :none), :ids) ' +
          'REMOVE newCertificateId, newCertificateArn, newCertificatePem, taskToken',
        ConditionExpression: 'executionArn = :exec AND rotationId = :rid AND newCertificateId = :id',
        ExpressionAttributeNames: { '#phase': 'phase' },
        ExpressionAttributeValues: {
          ':revoked': 'REVOKED',
          ':now': iso(p.now),
          ':reason': p.reason ?? 'revoked',
          ':none': [],
          ':ids': [p.certificateId],
          ':exec': p.fence.executionArn,
          ':rid': p.fence.rotationId,
          ':id': p.certificateId,
        },
      },
      'record the revocation',
    );
    if (!record) await this.explain(p.fence, 'cannot record the revocation');
  }

  /**
   * Records how an execution ended, if the record is still that execution's and in progress: the
   * record when this call changed it, or when it already says so but is not yet escalated (a retried
   * event must still escalate once; that case is read, not written again, so the index entry stays).
   */
  async recordOutcome(p: {
    thingName: string;
    executionArn: string;
    status: 'FAILED' | 'TIMED_OUT' | 'ABORTED';
    cause: string;
    now: number;
    retentionSeconds: number;
  }): Promise<RotationRecord | undefined> {
    const recorded = await this.update(
      {
        Key: { thingName: p.thingName },
        UpdateExpression:
          'SET #status = :status, statusSince = :now, lastError = :cause, completedAt = :now, updatedAt = :now, ' +
          'expiresAt = :expires REMOVE taskToken',
        ConditionExpression: 'executionArn = :exec AND #status = :inProgress',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: {
          ':status': p.status,
          ':inProgress': 'IN_PROGRESS',
          ':cause': p.cause.slice(0, 1024),
          ':now': iso(p.now),
          ':expires': Math.floor(p.now / 1000) + p.retentionSeconds,
          ':exec': p.executionArn,
        },
      },
      'record the outcome',
    );
    if (recorded) return recorded;
    const current = await this.get(p.thingName);
    return current?.executionArn === p.executionArn &&
      current.status === p.status &&
      current.escalatedAt === undefined
      ? current
      : undefined;
  }

  async markEscalated(p: { thingName: string; executionArn: string; now: number }): Promise<void> {
    await this.update(
      {
        Key: { thingName: p.thingName },
        UpdateExpression: 'SET escalatedAt = :now',
        ConditionExpression: 'executionArn = :exec AND attribute_not_exists(escalatedAt)',
        ExpressionAttributeValues: { ':now': iso(p.now), ':exec': p.executionArn },
      },
      'mark the escalation',
    );
  }
}
