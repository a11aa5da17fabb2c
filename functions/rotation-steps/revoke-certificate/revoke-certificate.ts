import type { IoTClient } from '@aws-sdk/client-iot';
import type { TimeSource } from '../../../lib/clock.ts';
import { removeCertificate } from '../../../workflows/rotate-device/certificates.ts';
import { CertificateMismatch } from '../../../workflows/rotate-device/errors.ts';
import { fenceOf } from '../../../workflows/rotate-device/record.ts';
import type { RevokeCertificateInput, StepDone } from '../../../workflows/rotate-device/types.ts';
import type { Counter, Log } from '../../shared/observability.ts';
import type { RotationRecordStore } from '../../shared/rotation-record.ts';

export interface RevokeCertificateDeps {
  readonly store: RotationRecordStore;
  readonly iot: IoTClient;
  readonly clock: TimeSource;
  readonly log: Log;
  readonly counter: Counter;
}

/**
 * Revokes the certificate of a failed attempt (crt_err, or no ack after every delivery): the one
 * the record holds for this rotationId, never the old one (invariant 5). Idempotent: when the
 * record no longer holds a certificate of this attempt, it was revoked already (or never issued).
 */
export async function revokeNewCertificate(
  input: RevokeCertificateInput,
  deps: RevokeCertificateDeps,
): Promise<StepDone> {
  const fence = fenceOf(input);
  const record = await deps.store.get(input.thingName);
  if (!record || record.executionArn !== input.executionArn) {
    return deps.store.explain(fence, 'cannot revoke');
  }
  const certificateId =
    record.newCertificateRotationId === input.rotationId && record.newCertificateId
      ? record.newCertificateId
      : undefined;
  if (!certificateId) {
    deps.log.info('no certificate of this attempt to revoke', { reason: input.reason });
    return { certificateId: null, action: 'none' };
  }
  if (certificateId === record.oldCertificateId) {
    throw new CertificateMismatch(
      `${input.thingName}: refusing to revoke ${certificateId}, the certificate in use`,
    );
  }
  // The record knows the certificate's ARN and the policies the issue step copies to it (recorded
  // with the certificate, before they are attached: one not attached yet is missing, which counts as
  // detached); otherwise they are listed.
  const copied = record.copiedPolicies?.rotationId === input.rotationId ? record.copiedPolicies : undefined;
  const outcome = await removeCertificate(deps.iot, {
    certificateId,
    thingName: input.thingName,
    keep: false,
    certificateArn: record.newCertificateArn,
    policyNames: copied?.policyNames,
  });
  await deps.store.recordRevoked({ fence, certificateId, reason: input.reason, now: deps.clock.now() });
  deps.counter.count('CertificateRevoked', { reason: input.reason ?? 'unknown' });
  deps.log.info('new certificate revoked', { certificateId, outcome, reason: input.reason });
  return { certificateId, action: `revoked (${outcome})` };
}
