import { PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { describe, expect, it } from 'vitest';
import { deliverCertificate } from '../../functions/rotation-steps/issue-certificate/deliver-certificate.ts';
import { createHandler as createRequestHandler } from '../../functions/rotation-steps/request-csr/handler.ts';
import { RotationRecordStore } from '../../functions/shared/rotation-record.ts';
import {
  claimedRecord,
  clock,
  csrRequestInput,
  lambdaContext,
  publishedMessages,
  recorders,
  useTable,
} from './harness.ts';
import { usePublishingIotData } from './iot-fakes.ts';
import {
  EXECUTION_ARN,
  NEW_CERT_ID,
  OLD_CERT_ID,
  OTHER_EXECUTION_ARN,
  ROTATION_ID,
  THING,
} from './rotation-ids.ts';

const table = useTable();
const { iotData, iotDataMock } = usePublishingIotData();

const requestHandler = () =>
  createRequestHandler({ db: table.db, tableName: table.tableName, iotData, clock, logLevel: 'SILENT' });
/** The delivery half of the IssueAndDeliver step (issue-certificate runs it after issuing). */
const deliver = (input: ReturnType<typeof deliverEvent>) =>
  deliverCertificate(input, {
    store: new RotationRecordStore(table.db, table.tableName),
    iotData,
    clock,
    ...recorders(),
  });
const deliverEvent = (overrides: { certificateId?: string } = {}) => ({
  taskToken: 'token-ack',
  thingName: THING,
  executionArn: EXECUTION_ARN,
  rotationId: ROTATION_ID,
  certificateId: NEW_CERT_ID,
  ...overrides,
});

/** device-reply's acceptance of a reply to the pending wait, as the store makes it. */
const acceptReply = (kind: 'csr_res' | 'crt_ack', principal: string) =>
  new RotationRecordStore(table.db, table.tableName).acceptPendingReply({
    thingName: THING,
    rotationId: ROTATION_ID,
    kind,
    principal,
    ...(kind === 'crt_ack' ? { set: { provenCertificateId: principal } } : {}),
    now: clock.now(),
  });
const publishCount = () => iotDataMock.commandCalls(PublishCommand).length;

const publishedPayloads = () =>
  publishedMessages(iotDataMock.commandCalls(PublishCommand).map((c) => c.args[0].input));

describe('request-csr', () => {
  it('stores the token in the record and sends csr_req with the rotationId only', async () => {
    // Prepare
    await table.put(claimedRecord());
    // Act
    await requestHandler()(csrRequestInput(), lambdaContext('request-csr'));
    // Assess
    const record = await table.read(THING);
    expect(record).toMatchObject({
      phase: 'AWAITING_CSR',
      taskToken: 'token-1',
      rotationId: ROTATION_ID,
      attempt: 1,
    });
    expect(publishedPayloads()).toEqual([
      { topic: `management/topic/${THING}/csr_req`, payload: { rotationId: ROTATION_ID } },
    ]);
  });

  it('tells the device why its previous attempt ended', async () => {
    await table.put(claimedRecord());
    await requestHandler()(
      csrRequestInput({ attempt: 2, previousError: 'CsrKeyTooSmall' }),
      lambdaContext('r'),
    );
    expect(publishedPayloads()[0]?.payload).toEqual({
      rotationId: ROTATION_ID,
      previousError: 'CsrKeyTooSmall',
    });
    expect((await table.read(THING))?.lastError).toBe('CsrKeyTooSmall');
  });

  it('replaces the token on a timeout retry (same rotationId, new token)', async () => {
    await table.put(claimedRecord());
    const handler = requestHandler();
    await handler(csrRequestInput(), lambdaContext('r'));
    await handler(csrRequestInput({ taskToken: 'token-2' }), lambdaContext('r'));
    expect((await table.read(THING))?.taskToken).toBe('token-2');
    expect(iotDataMock.commandCalls(PublishCommand)).toHaveLength(2);
  });

  it('run again with the same token after the CSR was accepted, leaves the record and sends nothing', async () => {
    // Prepare: Step Functions calls a task at least once; this call comes after the device answered.
    await table.put(claimedRecord());
    const handler = requestHandler();
    await handler(csrRequestInput(), lambdaContext('r'));
    expect((await acceptReply('csr_res', OLD_CERT_ID)).written).toBe(true);
    const accepted = await table.read(THING);
    const sent = publishCount();
    // Act
    const output = await handler(csrRequestInput(), lambdaContext('r'));
    // Assess
    expect(output).toEqual({ rotationId: ROTATION_ID, attempt: 1 });
    expect(await table.read(THING)).toEqual(accepted);
    expect(accepted?.phase).toBe('CSR_RECEIVED');
    expect(publishCount()).toBe(sent);
  });

  it('run again with the same token before any reply, sends csr_req again', async () => {
    await table.put(claimedRecord());
    const handler = requestHandler();
    await handler(csrRequestInput(), lambdaContext('r'));
    await handler(csrRequestInput(), lambdaContext('r'));
    expect(publishCount()).toBe(2);
    expect(await table.read(THING)).toMatchObject({ phase: 'AWAITING_CSR', taskToken: 'token-1' });
  });

  it('fails with CertificateAttemptsExhausted past the limit, sending nothing', async () => {
    await table.put(claimedRecord());
    await expect(
      requestHandler()(csrRequestInput({ attempt: 4, maxAttempts: 3 }), lambdaContext('r')),
    ).rejects.toMatchObject({ name: 'CertificateAttemptsExhausted' });
    expect(iotDataMock.commandCalls(PublishCommand)).toHaveLength(0);
    expect((await table.read(THING))?.taskToken).toBeUndefined();
  });

  it('refuses to act for an execution that no longer owns the thing', async () => {
    await table.put(claimedRecord({ executionArn: OTHER_EXECUTION_ARN }));
    await expect(requestHandler()(csrRequestInput(), lambdaContext('r'))).rejects.toMatchObject({
      name: 'RotationSuperseded',
    });
    expect(iotDataMock.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('rejects a malformed event naming the field, without echoing the token', async () => {
    const error = await requestHandler()(
      csrRequestInput({ rotationId: 'nope', taskToken: 'secret-token' }),
      lambdaContext('r'),
    ).catch((e: unknown) => e);
    expect(error).toMatchObject({ name: 'InvalidStepInput', message: expect.stringContaining('rotationId') });
    expect(String((error as Error).message)).not.toContain('secret-token');
  });

  it('turns a throttled publish into TransientAwsError for the state machine to retry', async () => {
    await table.put(claimedRecord());
    iotDataMock
      .on(PublishCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    await expect(requestHandler()(csrRequestInput(), lambdaContext('r'))).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
  });
});

describe('certificate delivery (issue-certificate, after issuing)', () => {
  const issued = () =>
    claimedRecord({
      phase: 'ISSUED',
      rotationId: ROTATION_ID,
      newCertificateId: NEW_CERT_ID,
      newCertificateArn: `arn:aws:iot:us-east-1:000000000000:cert/${NEW_CERT_ID}`,
      newCertificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
      newCertificateRotationId: ROTATION_ID,
      issuingRotationId: ROTATION_ID,
    });

  it('stores the token and sends crt_res with the certificate of this rotation', async () => {
    await table.put(issued());
    await deliver(deliverEvent());
    expect(await table.read(THING)).toMatchObject({ phase: 'AWAITING_ACK', taskToken: 'token-ack' });
    expect(publishedPayloads()).toEqual([
      {
        topic: `management/topic/${THING}/crt_res`,
        payload: {
          rotationId: ROTATION_ID,
          certificateId: NEW_CERT_ID,
          certificatePem: '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----',
        },
      },
    ]);
  });

  it('run again with the same token after the crt_ack was accepted, leaves the proof and sends nothing', async () => {
    // Prepare
    await table.put(issued());
    await deliver(deliverEvent());
    expect((await acceptReply('crt_ack', NEW_CERT_ID)).written).toBe(true);
    const proven = await table.read(THING);
    const sent = publishCount();
    // Act
    const output = await deliver(deliverEvent());
    // Assess: the retire step still finds the proof.
    expect(output).toEqual({ certificateId: NEW_CERT_ID });
    expect(await table.read(THING)).toEqual(proven);
    expect(proven).toMatchObject({ phase: 'PROVEN', provenCertificateId: NEW_CERT_ID });
    expect(publishCount()).toBe(sent);
  });

  it('refuses to deliver when the record holds no certificate of this rotation', async () => {
    await table.put(claimedRecord({ phase: 'AWAITING_CSR', rotationId: ROTATION_ID }));
    await expect(deliver(deliverEvent())).rejects.toMatchObject({
      name: 'RotationStateInvalid',
    });
    expect(iotDataMock.commandCalls(PublishCommand)).toHaveLength(0);
  });

  it('refuses to deliver another certificate than the recorded one', async () => {
    await table.put(issued());
    await expect(deliver(deliverEvent({ certificateId: 'c'.repeat(64) }))).rejects.toMatchObject({
      name: 'RotationStateInvalid',
    });
    expect(iotDataMock.commandCalls(PublishCommand)).toHaveLength(0);
  });
});
