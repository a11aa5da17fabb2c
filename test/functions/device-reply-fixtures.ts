import { SendTaskFailureCommand, SendTaskSuccessCommand, SFNClient } from '@aws-sdk/client-sfn';
import { type AwsClientStub, mockClient } from 'aws-sdk-client-mock';
import { beforeEach } from 'vitest';
import { handleDeviceReply } from '../../functions/event-triggered/device-reply/device-reply.ts';
import type { RotationRecord, RotationRecordStore } from '../../functions/shared/rotation-record.ts';
import { csrFixture } from './csr-fixtures.ts';
import { claimedRecord, clock, recorders } from './harness.ts';
import { NEW_CERT_ID, ROTATION_ID } from './rotation-ids.ts';

/** What device-reply's tests share: a valid CSR, the records it answers, and a run with recorders. */

export const CSR = csrFixture('ok-ec-p256.csr.pem');

/** The record while the workflow waits for the device's CSR. */
export const awaitingCsr = (o: Partial<RotationRecord> = {}): RotationRecord =>
  claimedRecord({ phase: 'AWAITING_CSR', rotationId: ROTATION_ID, taskToken: 'token-csr', ...o });

/** The record while the workflow waits for the device's ack over its new certificate. */
export const awaitingAck = (o: Partial<RotationRecord> = {}): RotationRecord =>
  claimedRecord({
    phase: 'AWAITING_ACK',
    rotationId: ROTATION_ID,
    taskToken: 'token-ack',
    newCertificateId: NEW_CERT_ID,
    newCertificateRotationId: ROTATION_ID,
    ...o,
  });

/** Handles one reply; returns its pending result with what it counted and logged. */
export function runDeviceReply(
  event: unknown,
  deps: { store: RotationRecordStore; sfn: SFNClient },
  acceptMissingRotationId = true,
) {
  const r = recorders();
  const result = handleDeviceReply(event, {
    ...deps,
    clock,
    log: r.log,
    counter: r.counter,
    acceptMissingRotationId,
  });
  return { result, ...r };
}

/** The file's Step Functions client, every task answer (success, failure) accepted; reset before each test. */
export function useAnsweredTasks(): { sfn: SFNClient; sfnMock: AwsClientStub<SFNClient> } {
  const sfn = new SFNClient({ region: 'us-east-1' });
  const sfnMock = mockClient(sfn);
  beforeEach(() => {
    sfnMock.reset();
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    sfnMock.on(SendTaskFailureCommand).resolves({});
  });
  return { sfn, sfnMock };
}
