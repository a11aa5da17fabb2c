import type { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import type { TimeSource } from '../../../lib/clock.ts';
import { RotationStateInvalid } from '../../../workflows/rotate-device/errors.ts';
import type { Counter, Log } from '../../shared/observability.ts';
import { publishToDevice } from '../../shared/publish.ts';
import type { RotationRecordStore } from '../../shared/rotation-record.ts';

export interface DeliverCertificateDeps {
  readonly store: RotationRecordStore;
  readonly iotData: IoTDataPlaneClient;
  readonly clock: TimeSource;
  readonly log: Log;
  readonly counter: Counter;
}

/** The certificate to send, and the wait its crt_ack answers. */
export interface DeliveryRequest {
  readonly taskToken: string;
  readonly thingName: string;
  readonly executionArn: string;
  readonly rotationId: string;
  readonly certificateId: string;
}

/**
 * Sends the new certificate, the second half of the IssueAndDeliver step: the task token goes into
 * the record (phase AWAITING_ACK), then `crt_res` carries the certificate, its id and the rotationId.
 * The record must hold this rotation's certificate, so a stale step cannot deliver another one.
 */
export async function deliverCertificate(
  input: DeliveryRequest,
  deps: DeliverCertificateDeps,
): Promise<{ certificateId: string }> {
  const fence = {
    thingName: input.thingName,
    executionArn: input.executionArn,
    rotationId: input.rotationId,
  };
  const { answered, record } = await deps.store.awaitReply({
    fence,
    phase: 'AWAITING_ACK',
    taskToken: input.taskToken,
    now: deps.clock.now(),
  });
  if (answered) {
    // This step ran before with the same token and the device's crt_ack was accepted: nothing to send.
    deps.log.info('crt_ack already accepted for this wait; crt_res not sent again', {
      certificateId: input.certificateId,
    });
    return { certificateId: input.certificateId };
  }
  if (record.newCertificateId !== input.certificateId || !record.newCertificatePem) {
    throw new RotationStateInvalid(
      `${input.thingName}: the record holds certificate ${record.newCertificateId ?? 'none'}, not ${input.certificateId}`,
    );
  }
  await publishToDevice(deps.iotData, input.thingName, 'crt_res', {
    rotationId: input.rotationId,
    certificateId: input.certificateId,
    certificatePem: record.newCertificatePem,
  });
  deps.counter.count('CertificateDelivered');
  deps.log.info('crt_res sent', { certificateId: input.certificateId });
  return { certificateId: input.certificateId };
}
