import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  DeleteCertificateCommand,
  type IoTClient,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import type { TimeSource } from '../../../lib/clock.ts';
import { awsCall, errorName } from '../../../workflows/rotate-device/aws-errors.ts';
import { attachedPolicyNames, describeCertificate } from '../../../workflows/rotate-device/certificates.ts';
import {
  CertificateMismatch,
  CsrRejected,
  IssuanceInterrupted,
} from '../../../workflows/rotate-device/errors.ts';
import { fenceOf } from '../../../workflows/rotate-device/record.ts';
import { isPast } from '../../../workflows/rotate-device/record-transitions.ts';
import type {
  IssueCertificateInput,
  IssueCertificateOutput,
} from '../../../workflows/rotate-device/types.ts';
import type { Counter, Log } from '../../shared/observability.ts';
import type {
  CopiedPolicies,
  Fence,
  RotationRecord,
  RotationRecordStore,
} from '../../shared/rotation-record.ts';
import type { CertificateIssuer } from './certificate-issuer.ts';
import { validateCsr } from './csr-validation.ts';

export interface IssueCertificateDeps {
  readonly store: RotationRecordStore;
  readonly iot: IoTClient;
  /** Who signs the certificate: AWS IoT's CA or a private CA (certificate-issuer.ts). */
  readonly issuer: CertificateIssuer;
  readonly clock: TimeSource;
  readonly log: Log;
  readonly counter: Counter;
  readonly requireCnMatch: boolean;
}

/**
 * Issues the new certificate of one rotation attempt, at most once (invariants 4, 5 and 7): an
 * issuance marker is written before AWS is called, and a rerun finishes or refuses from the record.
 * README.md explains each case.
 */
export async function issueCertificate(
  input: IssueCertificateInput,
  deps: IssueCertificateDeps,
): Promise<IssueCertificateOutput> {
  const fence = fenceOf(input);

  const old = await describeCertificate(deps.iot, input.oldCertificateId);
  if (!old) {
    // A rotation that is not this execution's any more says so first.
    await readOwnRecord(input, fence, deps);
    throw new CertificateMismatch(
      `${input.thingName}: the old certificate ${input.oldCertificateId} does not exist`,
    );
  }
  let keyFingerprint: string;
  try {
    ({ keyFingerprint } = await validateCsr(input.csr, {
      thingName: input.thingName,
      oldCertificatePem: old.certificatePem,
      requireCnMatch: deps.requireCnMatch,
    }));
  } catch (error) {
    if (error instanceof CsrRejected) {
      await readOwnRecord(input, fence, deps);
      deps.counter.count('CsrRejected', { reason: error.name });
      deps.log.warn('CSR rejected', { reason: error.name, detail: error.message });
      await deps.store.recordError({
        fence,
        error: `${error.name}: ${error.message}`,
        now: deps.clock.now(),
      });
    }
    throw error;
  }
  // Listed before the certificate exists, so that the write recording it also records what it is
  // about to be given: one write for the certificate, its phase and the policies retire detaches.
  const policyNames = await attachedPolicyNames(deps.iot, old.certificateArn);
  const copied: CopiedPolicies = {
    rotationId: input.rotationId,
    fromCertificateArn: old.certificateArn,
    policyNames,
  };

  const marked = await deps.store.markIssuing({
    fence,
    keyFingerprint,
    oldCertificateId: input.oldCertificateId,
    now: deps.clock.now(),
  });
  let issued: { certificateId: string; certificateArn: string };
  /** The record, when the marker was refused because this attempt's certificate is recorded. */
  let resumedRecord: RotationRecord | undefined;
  if (marked.written) {
    issued = await createAndRecord(input, fence, copied, deps);
  } else {
    // The refusal returns the record as it was: no read.
    const record = ownRecord(marked.record, input, fence, deps);
    if (
      record.newCertificateRotationId === input.rotationId &&
      record.newCertificateId &&
      record.newCertificateArn
    ) {
      issued = { certificateId: record.newCertificateId, certificateArn: record.newCertificateArn };
      resumedRecord = record;
      deps.log.info('certificate already issued for this attempt; finishing its attachments', {
        certificateId: issued.certificateId,
      });
    } else if (record.issuingRotationId === input.rotationId) {
      deps.counter.count('IssuanceInterrupted');
      await deps.store.recordError({ fence, error: 'IssuanceInterrupted', now: deps.clock.now() });
      throw new IssuanceInterrupted(
        `${input.thingName}: an earlier run of this step issued for rotation ${input.rotationId} without recording ` +
          `the result (key ${record.issuingKeyFingerprint ?? '?'}); asking for a fresh CSR`,
      );
    } else {
      return deps.store.explainRecord(record, fence, 'cannot mark the issuance');
    }
  }

  const { certificateId, certificateArn } = issued;
  if (
    resumedRecord &&
    (resumedRecord.phase === 'AWAITING_ACK' || isPast(resumedRecord.phase, 'AWAITING_ACK'))
  ) {
    // Sent before (an ack wait that timed out, or a step run again after its device answered): the
    // attachments were done before that delivery, so only the delivery is repeated, if still needed.
    return { certificateId, certificateArn };
  }
  // Invariant 7: exactly the old certificate's policies, and the same thing.
  for (const policyName of policyNames) {
    await awsCall('AttachPolicy', () =>
      deps.iot.send(new AttachPolicyCommand({ policyName, target: certificateArn })),
    );
  }
  await awsCall('AttachThingPrincipal', () =>
    deps.iot.send(new AttachThingPrincipalCommand({ thingName: input.thingName, principal: certificateArn })),
  );
  // A resumed step whose record does not name these policies (they changed since, or an earlier
  // version of the step recorded them only after the attachments) records them now.
  if (
    resumedRecord &&
    (resumedRecord.phase !== 'ISSUED' || !sameCopiedPolicies(resumedRecord.copiedPolicies, copied))
  ) {
    await deps.store.setPhase({
      fence,
      phase: 'ISSUED',
      set: { copiedPolicies: copied },
      now: deps.clock.now(),
    });
  }
  return { certificateId, certificateArn };
}

/**
 * Reads the record after something failed or was refused, and throws what explains it when the
 * record is not this rotation's: another execution's (RotationSuperseded), another attempt's
 * (RotationStateInvalid) or another old certificate's (CertificateMismatch).
 */
async function readOwnRecord(
  input: IssueCertificateInput,
  fence: Fence,
  deps: IssueCertificateDeps,
): Promise<RotationRecord> {
  return ownRecord(await deps.store.get(input.thingName), input, fence, deps);
}

/** readOwnRecord's checks, on a record the caller holds. */
function ownRecord(
  record: RotationRecord | undefined,
  input: IssueCertificateInput,
  fence: Fence,
  deps: IssueCertificateDeps,
): RotationRecord {
  if (!record || record.executionArn !== input.executionArn || record.rotationId !== input.rotationId) {
    return deps.store.explainRecord(record, fence, 'cannot issue');
  }
  if (record.oldCertificateId !== input.oldCertificateId) {
    throw new CertificateMismatch(`${input.thingName}: the record rotates ${record.oldCertificateId}`);
  }
  return record;
}

/**
 * Issues the certificate (after the marker) and records it with its phase and policies. A 4xx answer
 * to the issuing call (throttled, invalid) is a definite "not issued": the marker goes, so the retry
 * issues. A timeout or 5xx, or a failure after it, is not definite: the marker stays and the retry
 * ends the attempt.
 */
async function createAndRecord(
  input: IssueCertificateInput,
  fence: Fence,
  copied: CopiedPolicies,
  deps: IssueCertificateDeps,
): Promise<{ certificateId: string; certificateArn: string }> {
  const { certificateId, certificateArn, certificatePem } = await deps.issuer.issue({
    csrPem: input.csr,
    attemptKey: `${input.executionArn}/${input.rotationId}`,
    onRefused: async () => {
      await deps.store.clearIssuing({ fence, now: deps.clock.now() });
    },
  });
  const recorded = await deps.store.recordIssued({
    fence,
    certificateId,
    certificateArn,
    certificatePem,
    copying: { fromCertificateArn: copied.fromCertificateArn, policyNames: copied.policyNames },
    now: deps.clock.now(),
  });
  if (!recorded) {
    // Someone else moved the record on: this certificate belongs to nobody. It has no attachment,
    // so deactivating and deleting it at once is safe.
    await awsCall('UpdateCertificate', () =>
      deps.iot.send(new UpdateCertificateCommand({ certificateId, newStatus: 'INACTIVE' })),
    )
      .then(() =>
        awsCall('DeleteCertificate', () => deps.iot.send(new DeleteCertificateCommand({ certificateId }))),
      )
      .catch((error: unknown) =>
        deps.log.error('could not delete an unrecorded certificate', {
          certificateId,
          error: errorName(error),
        }),
      );
    await deps.store.explain(fence, 'cannot record the new certificate');
  }
  deps.counter.count('CertificateIssued');
  deps.log.info('certificate issued', { certificateId, issuer: deps.issuer.kind });
  return { certificateId, certificateArn };
}

function sameCopiedPolicies(recorded: CopiedPolicies | undefined, now: CopiedPolicies): boolean {
  return (
    recorded !== undefined &&
    recorded.rotationId === now.rotationId &&
    recorded.fromCertificateArn === now.fromCertificateArn &&
    recorded.policyNames.length === now.policyNames.length &&
    recorded.policyNames.every((name, i) => name === now.policyNames[i])
  );
}
