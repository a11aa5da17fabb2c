import type { IoTDataPlaneClient } from '@aws-sdk/client-iot-data-plane';
import { z } from 'zod';
import { isThingName } from '../../../workflows/rotate-device/protocol.ts';
import type { Counter, Log } from '../../shared/observability.ts';
import { publishToDevice } from '../../shared/publish.ts';
import type { RotationRecordStore } from '../../shared/rotation-record.ts';

/** The AWS IoT lifecycle `connected` event (`$aws/events/presence/connected/{clientId}`). */
export const ConnectedEvent = z.object({
  clientId: z.string().min(1),
  eventType: z.literal('connected'),
  timestamp: z.number().optional(),
  /** The certificate id the device authenticated with (for an X.509 connection). */
  principalIdentifier: z.string().optional(),
});

export type ReconnectOutcome = { resent: 'csr_req' | 'crt_res' } | { resent: null; why: string };

export interface OnReconnectDeps {
  readonly store: RotationRecordStore;
  readonly iotData: IoTDataPlaneClient;
  readonly log: Log;
  readonly counter: Counter;
}

/**
 * A device came back: if its rotation waits for it, send the pending request again at once instead
 * of waiting for the timeout (QoS 1 messages are kept for an offline session for one hour only).
 * Sending twice is harmless: the device answers by rotationId and the cloud takes one answer.
 */
export async function resendPending(event: unknown, deps: OnReconnectDeps): Promise<ReconnectOutcome> {
  const parsed = ConnectedEvent.safeParse(event);
  if (!parsed.success) {
    deps.log.warn('not a connected lifecycle event', {
      issues: parsed.error.issues.map((i) => i.path.join('.')),
    });
    return { resent: null, why: 'not a connected event' };
  }
  const thingName = parsed.data.clientId;
  if (!isThingName(thingName)) return { resent: null, why: 'client id is not a thing name' };
  const record = await deps.store.get(thingName);
  if (record?.status !== 'IN_PROGRESS' || !record.taskToken || !record.rotationId) {
    return { resent: null, why: 'no pending request' };
  }
  const fields = { thingName, rotationId: record.rotationId };
  if (record.phase === 'AWAITING_CSR') {
    await publishToDevice(deps.iotData, thingName, 'csr_req', { rotationId: record.rotationId });
    deps.counter.count('RequestResent', { kind: 'csr_req' });
    deps.log.info('csr_req sent again on reconnect', fields);
    return { resent: 'csr_req' };
  }
  if (record.phase === 'AWAITING_ACK' && parsed.data.principalIdentifier === record.newCertificateId) {
    // The device connected with the new certificate to prove it: it holds it, and its crt_ack
    // follows over this connection. Sending crt_res again would only earn a duplicate crt_ack.
    return { resent: null, why: 'connected with the new certificate' };
  }
  if (record.phase === 'AWAITING_ACK' && record.newCertificateId && record.newCertificatePem) {
    await publishToDevice(deps.iotData, thingName, 'crt_res', {
      rotationId: record.rotationId,
      certificateId: record.newCertificateId,
      certificatePem: record.newCertificatePem,
    });
    deps.counter.count('RequestResent', { kind: 'crt_res' });
    deps.log.info('crt_res sent again on reconnect', fields);
    return { resent: 'crt_res' };
  }
  return { resent: null, why: `phase ${record.phase}` };
}
