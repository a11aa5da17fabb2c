import { DescribeExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ERROR_NAMES } from '../../workflows/rotate-device/errors.ts';
import { isNamed, OperationFailedError, RefusedError } from '../errors.ts';
import { certificateStatus, type RevokeOutcome, revokeCertificate } from '../iot/revoke-certificate.ts';
import type { Target } from '../target/target.ts';
import { getRecord, type RotationRecord } from './records.ts';

/** Past these phases the device has proven the new certificate and the old one may be gone. */
const PROVEN_PHASES = new Set(['PROVEN', 'RETIRED', 'DONE']);

export interface AbandonResult {
  readonly thingName: string;
  readonly executionArn: string;
  readonly stopped: boolean;
  readonly revoked: RevokeOutcome | undefined;
  readonly alreadyAbandoned: boolean;
}

export const ABANDON_ERROR = ERROR_NAMES.rotationAbandoned;

/** Refuses what would break invariant 1: the device must keep a certificate it holds the key of. */
function checkAbandonable(record: RotationRecord): void {
  const thing = record.thingName;
  if (record.status === 'SUCCEEDED') {
    throw new RefusedError(`the rotation of ${thing} succeeded: the device now uses its new certificate`, {
      hint: 'nothing to abandon; the old certificate was already retired',
    });
  }
  if (PROVEN_PHASES.has(record.phase) || record.provenAt !== undefined) {
    throw new RefusedError(
      `the rotation of ${thing} is past proof (phase ${record.phase}): the device has switched to the new ` +
        'certificate, and revoking it could lock the device out',
      { hint: `let it finish, or if it failed: "recert redrive ${thing}"` },
    );
  }
}

/** The certificate the rotation issued, when it has one other than the old. */
const issuedBy = (record: RotationRecord): string | undefined =>
  record.newCertificateId !== undefined && record.newCertificateId !== record.oldCertificateId
    ? record.newCertificateId
    : undefined;

/** Revokes the rotation's new certificate, refusing while the old one is not ACTIVE (invariant 1). */
async function revokeIssued(
  target: Target,
  record: RotationRecord,
  newId: string,
  options: { revokeRetryDelayMs?: number },
): Promise<RevokeOutcome> {
  const oldStatus = await certificateStatus(target.iot, record.oldCertificateId);
  if (oldStatus !== 'ACTIVE') {
    throw new RefusedError(
      `the old certificate ${record.oldCertificateId} of ${record.thingName} is ${oldStatus ?? 'gone'}, not ` +
        `ACTIVE: revoking the new certificate ${newId} would leave the device without a working one`,
      { hint: 'the execution was stopped; inspect the thing before revoking anything by hand' },
    );
  }
  return revokeCertificate(
    target.iot,
    { certificateId: newId, thingName: record.thingName },
    options.revokeRetryDelayMs !== undefined ? { retryDelayMs: options.revokeRetryDelayMs } : {},
  );
}

/**
 * ABANDONED, on the same execution's record while it names `newId` (or none). The issuance marker
 * goes too, so an issue step still running cannot record a certificate after this (it deletes it).
 */
async function markAbandoned(
  target: Target,
  record: RotationRecord,
  newId: string | undefined,
  now: number,
): Promise<void> {
  const iso = new Date(now).toISOString();
  await target.db.send(
    new UpdateCommand({
      TableName: target.resources.rotationTableName,
      Key: { thingName: record.thingName },
      UpdateExpression:
        'SET #status = :abandoned, statusSince = :now, updatedAt = :now, completedAt = :now, lastError = :why, ' +
        'revokedCertificateIds = list_append(if_not_exists(revokedCertificateIds, :none), :ids) ' +
        'REMOVE taskToken, issuingRotationId, newCertificateId, newCertificateArn, newCertificatePem',
      ConditionExpression:
        'executionArn = :exec AND #status <> :succeeded AND NOT (#phase IN (:p1, :p2, :p3)) AND ' +
        (newId === undefined
          ? '(attribute_not_exists(newCertificateId) OR newCertificateId = :old)'
          : 'newCertificateId = :new'),
      ExpressionAttributeNames: { '#status': 'status', '#phase': 'phase' },
      ExpressionAttributeValues: {
        ':abandoned': 'ABANDONED',
        ':succeeded': 'SUCCEEDED',
        ':now': iso,
        ':why': 'abandoned by an operator',
        ':none': [],
        ':ids': newId !== undefined ? [newId] : [],
        ':exec': record.executionArn,
        ':p1': 'PROVEN',
        ':p2': 'RETIRED',
        ':p3': 'DONE',
        ...(newId !== undefined ? { ':new': newId } : { ':old': record.oldCertificateId }),
      },
    }),
  );
}

/**
 * Stops a rotation, revokes the certificate it issued (never the old one, which must still be
 * ACTIVE) and marks the record ABANDONED with a write conditioned on the same execution, so a
 * rotation that started since is never touched.
 */
export async function abandonRotation(
  target: Target,
  record: RotationRecord,
  now: number,
  options: { revokeRetryDelayMs?: number } = {},
): Promise<AbandonResult> {
  const base = { thingName: record.thingName, executionArn: record.executionArn };
  if (record.status === 'ABANDONED') {
    return { ...base, stopped: false, revoked: undefined, alreadyAbandoned: true };
  }
  checkAbandonable(record);
  let stopped = false;
  try {
    const execution = await target.sfn.send(
      new DescribeExecutionCommand({ executionArn: record.executionArn }),
    );
    if (execution.status === 'RUNNING' || execution.status === 'PENDING_REDRIVE') {
      await target.sfn.send(
        new StopExecutionCommand({
          executionArn: record.executionArn,
          error: ABANDON_ERROR,
          cause: 'abandoned by an operator (recert abandon)',
        }),
      );
      stopped = true;
    }
  } catch (error) {
    if (!isNamed(error, 'ExecutionDoesNotExist')) throw error;
  }
  // A step of the stopped execution may still be running: the mark below holds only while the
  // record names the certificate revoked here; when the step recorded one meanwhile, that is revoked.
  let current = record;
  let revoked: RevokeOutcome | undefined;
  for (let round = 1; ; round += 1) {
    const newId = issuedBy(current);
    if (newId !== undefined) revoked = await revokeIssued(target, current, newId, options);
    try {
      await markAbandoned(target, current, newId, now);
      break;
    } catch (error) {
      if (!isNamed(error, 'ConditionalCheckFailedException')) throw error;
      const fresh = await getRecord(target, record.thingName);
      if (round >= 3 || fresh?.executionArn !== record.executionArn || issuedBy(fresh) === newId) {
        throw new OperationFailedError(
          `the rotation record of ${record.thingName} changed while abandoning (another execution, or it completed)`,
          { cause: error, hint: `look at it with "recert rotations show ${record.thingName}"` },
        );
      }
      checkAbandonable(fresh);
      current = fresh;
    }
  }
  return { ...base, stopped, revoked, alreadyAbandoned: false };
}
