import { DescribeExecutionCommand, StopExecutionCommand } from '@aws-sdk/client-sfn';
import { UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { ERROR_NAMES } from '../../workflows/rotate-device/errors.ts';
import { isNamed, OperationFailedError, RefusedError } from '../errors.ts';
import { certificateStatus, type RevokeOutcome, revokeCertificate } from '../iot/revoke-certificate.ts';
import type { Target } from '../target/target.ts';
import type { RotationRecord } from './records.ts';

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
  const newId = record.newCertificateId;
  let revoked: RevokeOutcome | undefined;
  if (newId !== undefined && newId !== record.oldCertificateId) {
    const oldStatus = await certificateStatus(target.iot, record.oldCertificateId);
    if (oldStatus !== 'ACTIVE') {
      throw new RefusedError(
        `the old certificate ${record.oldCertificateId} of ${record.thingName} is ${oldStatus ?? 'gone'}, not ` +
          `ACTIVE: revoking the new certificate ${newId} would leave the device without a working one`,
        { hint: 'the execution was stopped; inspect the thing before revoking anything by hand' },
      );
    }
    revoked = await revokeCertificate(
      target.iot,
      { certificateId: newId, thingName: record.thingName },
      options.revokeRetryDelayMs !== undefined ? { retryDelayMs: options.revokeRetryDelayMs } : {},
    );
  }
  const iso = new Date(now).toISOString();
  try {
    await target.db.send(
      new UpdateCommand({
        TableName: target.resources.rotationTableName,
        Key: { thingName: record.thingName },
        UpdateExpression:
          'SET #status = :abandoned, statusSince = :now, updatedAt = :now, completedAt = :now, lastError = :why, ' +
          'revokedCertificateIds = list_append(if_not_exists(revokedCertificateIds, :none), :ids) ' +
          'REMOVE taskToken, newCertificateId, newCertificateArn, newCertificatePem',
        ConditionExpression:
          'executionArn = :exec AND #status <> :succeeded AND NOT (#phase IN (:p1, :p2, :p3))',
        ExpressionAttributeNames: { '#status': 'status', '#phase': 'phase' },
        ExpressionAttributeValues: {
          ':abandoned': 'ABANDONED',
          ':succeeded': 'SUCCEEDED',
          ':now': iso,
          ':why': 'abandoned by an operator',
          ':none': [],
          ':ids': newId !== undefined && newId !== record.oldCertificateId ? [newId] : [],
          ':exec': record.executionArn,
          ':p1': 'PROVEN',
          ':p2': 'RETIRED',
          ':p3': 'DONE',
        },
      }),
    );
  } catch (error) {
    if (isNamed(error, 'ConditionalCheckFailedException')) {
      throw new OperationFailedError(
        `the rotation record of ${record.thingName} changed while abandoning (another execution, or it completed)`,
        { cause: error, hint: `look at it with "recert rotations show ${record.thingName}"` },
      );
    }
    throw error;
  }
  return { ...base, stopped, revoked, alreadyAbandoned: false };
}
