import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateCertificateFromCsrCommand,
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  IoTClient,
  ListAttachedPoliciesCommand,
  ListThingPrincipalsCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { PublishCommand } from '@aws-sdk/client-iot-data-plane';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/rotation-steps/issue-certificate/handler.ts';
import { type RotationRecord, RotationRecordStore } from '../../functions/shared/rotation-record.ts';
import { csrFixture } from './csr-fixtures.ts';
import { claimedRecord, clock, lambdaContext, publishedMessages, useTable } from './harness.ts';
import { activeCertificate, certificateArn, usePublishingIotData } from './iot-fakes.ts';
import * as ids from './rotation-ids.ts';

const OLD_ARN = certificateArn(ids.OLD_CERT_ID);
const NEW_ARN = certificateArn(ids.NEW_CERT_ID);
const NEW_PEM = '-----BEGIN CERTIFICATE-----\nNEW\n-----END CERTIFICATE-----\n';

const table = useTable();
const iot = new IoTClient({ region: 'us-east-1' });
const iotMock = mockClient(iot);
const { iotData, iotDataMock } = usePublishingIotData();
/** AWS refused a call for its rate: nothing was done, a retry may succeed. */
const throttled = () =>
  Object.assign(new Error('rate'), { name: 'ThrottlingException', $metadata: { httpStatusCode: 429 } });

beforeEach(() => {
  iotMock.reset();
  iotMock
    .on(DescribeCertificateCommand, { certificateId: ids.OLD_CERT_ID })
    .resolves(activeCertificate(ids.OLD_CERT_ID, csrFixture('old-certificate.pem')));
  // Two pages, every time they are listed.
  iotMock
    .on(ListAttachedPoliciesCommand, { target: OLD_ARN })
    .callsFake((input: { marker?: string }) =>
      input.marker === 'page-2'
        ? { policies: [{ policyName: 'telemetry-policy' }] }
        : { policies: [{ policyName: 'device-policy' }], nextMarker: 'page-2' },
    );
  iotMock.on(CreateCertificateFromCsrCommand).resolves({
    certificateId: ids.NEW_CERT_ID,
    certificateArn: NEW_ARN,
    certificatePem: NEW_PEM,
  });
  iotMock.on(AttachPolicyCommand).resolves({});
  iotMock.on(AttachThingPrincipalCommand).resolves({});
  iotMock.on(UpdateCertificateCommand).resolves({});
});

const handler = () =>
  createHandler({ db: table.db, tableName: table.tableName, iot, iotData, clock, logLevel: 'SILENT' });
const csrReceived = (o: Partial<RotationRecord> = {}) =>
  claimedRecord({ phase: 'CSR_RECEIVED', rotationId: ids.ROTATION_ID, ...o });
const event = (csr = csrFixture('ok-ec-p256.csr.pem'), taskToken = 'token-ack') => ({
  taskToken,
  thingName: ids.THING,
  executionArn: ids.EXECUTION_ARN,
  rotationId: ids.ROTATION_ID,
  oldCertificateId: ids.OLD_CERT_ID,
  csr,
});

/** The crt_res messages published, as the device would read them. */
const crtResSent = () =>
  publishedMessages(iotDataMock.commandCalls(PublishCommand).map((c) => c.args[0].input));

describe('issue-certificate', () => {
  it('issues one active certificate, records it, copies the policies, attaches it to the thing, then sends it', async () => {
    // Prepare
    await table.put(csrReceived());
    // Act
    const out = await handler()(event(), lambdaContext('issue'));
    // Assess
    expect(out).toEqual({ certificateId: ids.NEW_CERT_ID, certificateArn: NEW_ARN });
    const create = iotMock.commandCalls(CreateCertificateFromCsrCommand);
    expect(create).toHaveLength(1);
    expect(create[0]?.args[0].input.setAsActive).toBe(true);
    expect(iotMock.commandCalls(AttachPolicyCommand).map((c) => c.args[0].input)).toEqual([
      { policyName: 'device-policy', target: NEW_ARN },
      { policyName: 'telemetry-policy', target: NEW_ARN },
    ]);
    expect(iotMock.commandCalls(AttachThingPrincipalCommand)[0]?.args[0].input).toEqual({
      thingName: ids.THING,
      principal: NEW_ARN,
    });
    expect(await table.read(ids.THING)).toMatchObject({
      // The IssueAndDeliver step waits for the crt_ack under its task token.
      phase: 'AWAITING_ACK',
      taskToken: 'token-ack',
      newCertificateId: ids.NEW_CERT_ID,
      newCertificateRotationId: ids.ROTATION_ID,
      newCertificatePem: NEW_PEM,
      // What retire detaches from the old certificate without listing its policies again.
      copiedPolicies: {
        rotationId: ids.ROTATION_ID,
        fromCertificateArn: OLD_ARN,
        policyNames: ['device-policy', 'telemetry-policy'],
      },
    });
    expect(crtResSent()).toEqual([
      {
        topic: `management/topic/${ids.THING}/crt_res`,
        payload: { rotationId: ids.ROTATION_ID, certificateId: ids.NEW_CERT_ID, certificatePem: NEW_PEM },
      },
    ]);
  });

  it('sends the certificate only after its policies and thing are attached', async () => {
    // Prepare: the device may connect with the certificate as soon as crt_res reaches it.
    await table.put(csrReceived());
    const order: string[] = [];
    iotMock.on(AttachPolicyCommand).callsFake(() => order.push('AttachPolicy') && {});
    iotMock.on(AttachThingPrincipalCommand).callsFake(() => order.push('AttachThingPrincipal') && {});
    iotDataMock.on(PublishCommand).callsFake(() => order.push('Publish') && {});
    // Act
    await handler()(event(), lambdaContext('issue'));
    // Assess
    expect(order).toEqual(['AttachPolicy', 'AttachPolicy', 'AttachThingPrincipal', 'Publish']);
  });

  it('sends the same certificate again, under the new token, when the ack wait timed out', async () => {
    // Prepare: the step ran to the end once; the crt_ack did not come, so the state runs again.
    await table.put(csrReceived());
    await handler()(event(), lambdaContext('issue'));
    iotMock.resetHistory();
    iotDataMock.resetHistory();
    // Act
    const again = await handler()(
      event(csrFixture('ok-ec-p256.csr.pem'), 'token-ack-2'),
      lambdaContext('issue'),
    );
    // Assess: nothing issued or attached again (invariant 5); the wait is the new one.
    expect(again).toEqual({ certificateId: ids.NEW_CERT_ID, certificateArn: NEW_ARN });
    expect(iotMock.commandCalls(CreateCertificateFromCsrCommand)).toHaveLength(0);
    expect(iotMock.commandCalls(AttachPolicyCommand)).toHaveLength(0);
    expect(iotMock.commandCalls(AttachThingPrincipalCommand)).toHaveLength(0);
    expect(crtResSent()).toHaveLength(1);
    expect(await table.read(ids.THING)).toMatchObject({ phase: 'AWAITING_ACK', taskToken: 'token-ack-2' });
  });

  it('run again with the same token after the crt_ack was accepted, keeps the proof and calls nothing', async () => {
    // Prepare: Step Functions calls a task at least once; this call comes after the device's proof.
    await table.put(csrReceived());
    await handler()(event(), lambdaContext('issue'));
    const accepted = await new RotationRecordStore(table.db, table.tableName).acceptPendingReply({
      thingName: ids.THING,
      rotationId: ids.ROTATION_ID,
      kind: 'crt_ack',
      principal: ids.NEW_CERT_ID,
      set: { provenCertificateId: ids.NEW_CERT_ID },
      now: clock.now(),
    });
    const proven = await table.read(ids.THING);
    iotMock.resetHistory();
    iotDataMock.resetHistory();
    // Act
    const again = await handler()(event(), lambdaContext('issue'));
    // Assess: the retire step still finds the proof; nothing is attached or sent again.
    expect(accepted.written).toBe(true);
    expect(again).toEqual({ certificateId: ids.NEW_CERT_ID, certificateArn: NEW_ARN });
    expect(await table.read(ids.THING)).toEqual(proven);
    expect(proven).toMatchObject({ phase: 'PROVEN', provenCertificateId: ids.NEW_CERT_ID });
    expect(iotMock.commandCalls(AttachPolicyCommand)).toHaveLength(0);
    expect(iotMock.commandCalls(AttachThingPrincipalCommand)).toHaveLength(0);
    expect(crtResSent()).toHaveLength(0);
  });

  it('spends no call on what it knows: one describe, one listing, no status change, no thing lookup', async () => {
    // Prepare
    await table.put(csrReceived());
    // Act
    await handler()(event(), lambdaContext('issue'));
    // Assess: the calls AWS rate-limits hardest (10 per second) are made once or not at all.
    expect(iotMock.commandCalls(DescribeCertificateCommand)).toHaveLength(1);
    expect(iotMock.commandCalls(UpdateCertificateCommand)).toHaveLength(0);
    expect(iotMock.commandCalls(ListThingPrincipalsCommand)).toHaveLength(0);
    // Two pages of the old certificate's policies, listed once.
    expect(iotMock.commandCalls(ListAttachedPoliciesCommand)).toHaveLength(2);
  });

  it('does not issue again when retried after the certificate was recorded (invariant 5)', async () => {
    await table.put(csrReceived());
    await handler()(event(), lambdaContext('issue'));
    iotMock
      .on(ListAttachedPoliciesCommand, { target: OLD_ARN })
      .resolves({ policies: [{ policyName: 'device-policy' }] });
    // Act: the same step runs again (a Lambda retry or a redrive)
    const again = await handler()(event(), lambdaContext('issue'));
    // Assess
    expect(again.certificateId).toBe(ids.NEW_CERT_ID);
    expect(iotMock.commandCalls(CreateCertificateFromCsrCommand)).toHaveLength(1);
  });

  it('names the policies with the certificate, so a step that fails in its attachments is finished by the retry', async () => {
    // Prepare: the first AttachPolicy is throttled after the certificate was recorded.
    await table.put(csrReceived());
    iotMock.on(AttachPolicyCommand).rejectsOnce(throttled()).resolves({});
    await expect(handler()(event(), lambdaContext('issue'))).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
    const afterFailure = await table.read(ids.THING);
    // Act
    const retried = await handler()(event(), lambdaContext('issue'));
    // Assess: what revoke or retire would need is recorded from the first write on.
    expect(afterFailure).toMatchObject({
      phase: 'ISSUED',
      newCertificateId: ids.NEW_CERT_ID,
      copiedPolicies: {
        rotationId: ids.ROTATION_ID,
        fromCertificateArn: OLD_ARN,
        policyNames: ['device-policy', 'telemetry-policy'],
      },
    });
    expect(retried).toEqual({ certificateId: ids.NEW_CERT_ID, certificateArn: NEW_ARN });
    expect(iotMock.commandCalls(CreateCertificateFromCsrCommand)).toHaveLength(1);
    expect(iotMock.commandCalls(AttachPolicyCommand).map((c) => c.args[0].input.policyName)).toEqual([
      'device-policy',
      'device-policy',
      'telemetry-policy',
    ]);
    expect(iotMock.commandCalls(AttachThingPrincipalCommand)).toHaveLength(1);
    expect(await table.read(ids.THING)).toMatchObject({
      phase: 'AWAITING_ACK',
      newCertificateId: ids.NEW_CERT_ID,
      copiedPolicies: afterFailure?.copiedPolicies,
    });
    expect(crtResSent()).toHaveLength(1);
  });

  it('records the policies on resume when the certificate was recorded without them', async () => {
    // Prepare: a record as an earlier version of the step left it, the policies not yet named.
    await table.put(
      csrReceived({
        phase: 'ISSUING',
        issuingRotationId: ids.ROTATION_ID,
        newCertificateId: ids.NEW_CERT_ID,
        newCertificateArn: NEW_ARN,
        newCertificatePem: NEW_PEM,
        newCertificateRotationId: ids.ROTATION_ID,
      }),
    );
    // Act
    await handler()(event(), lambdaContext('issue'));
    // Assess
    expect(iotMock.commandCalls(CreateCertificateFromCsrCommand)).toHaveLength(0);
    expect(await table.read(ids.THING)).toMatchObject({
      phase: 'AWAITING_ACK',
      copiedPolicies: {
        rotationId: ids.ROTATION_ID,
        fromCertificateArn: OLD_ARN,
        policyNames: ['device-policy', 'telemetry-policy'],
      },
    });
  });

  it('ends the attempt with IssuanceInterrupted when an earlier run left only its marker', async () => {
    await table.put(
      csrReceived({ phase: 'ISSUING', issuingRotationId: ids.ROTATION_ID, issuingKeyFingerprint: 'f' }),
    );
    await expect(handler()(event(), lambdaContext('issue'))).rejects.toMatchObject({
      name: 'IssuanceInterrupted',
    });
    expect(iotMock.commandCalls(CreateCertificateFromCsrCommand)).toHaveLength(0);
    expect((await table.read(ids.THING))?.lastError).toBe('IssuanceInterrupted');
  });

  it('issues on the retry after AWS throttled the create (a definite no)', async () => {
    await table.put(csrReceived());
    iotMock
      .on(CreateCertificateFromCsrCommand)
      .rejectsOnce(throttled())
      .resolves({ certificateId: ids.NEW_CERT_ID, certificateArn: NEW_ARN, certificatePem: NEW_PEM });
    await expect(handler()(event(), lambdaContext('issue'))).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
    await expect(handler()(event(), lambdaContext('issue'))).resolves.toMatchObject({
      certificateId: ids.NEW_CERT_ID,
    });
    expect(iotMock.commandCalls(CreateCertificateFromCsrCommand)).toHaveLength(2);
  });

  it('keeps the marker after an ambiguous failure, so the retry cannot issue twice', async () => {
    await table.put(csrReceived());
    iotMock.on(CreateCertificateFromCsrCommand).rejectsOnce(
      Object.assign(new Error('boom'), {
        name: 'InternalFailureException',
        $metadata: { httpStatusCode: 500 },
      }),
    );
    await expect(handler()(event(), lambdaContext('issue'))).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
    await expect(handler()(event(), lambdaContext('issue'))).rejects.toMatchObject({
      name: 'IssuanceInterrupted',
    });
    expect(iotMock.commandCalls(CreateCertificateFromCsrCommand)).toHaveLength(1);
  });

  it.each([
    ['bad-tampered.csr.pem', 'CsrSignatureInvalid'],
    ['bad-rsa-1024.csr.pem', 'CsrKeyTooSmall'],
    ['bad-old-key.csr.pem', 'CsrKeyReused'],
    ['bad-wrong-cn.csr.pem', 'CsrSubjectMismatch'],
    ['bad-ec-p521.csr.pem', 'CsrKeyTypeUnsupported'],
    ['bad-not-a-csr.pem', 'CsrNotParsable'],
  ])('rejects %s with %s, records it and issues nothing (invariant 4)', async (file, name) => {
    await table.put(csrReceived());
    await expect(handler()(event(csrFixture(file)), lambdaContext('issue'))).rejects.toMatchObject({ name });
    expect(iotMock.commandCalls(CreateCertificateFromCsrCommand)).toHaveLength(0);
    expect((await table.read(ids.THING))?.lastError).toMatch(new RegExp(`^${name}: `));
  });

  it('deactivates and deletes a certificate it could not record because another execution took the thing', async () => {
    // Prepare: the thing is claimed by another execution while the certificate is being created.
    await table.put(csrReceived());
    iotMock.on(CreateCertificateFromCsrCommand).callsFake(async () => {
      await table.put(csrReceived({ executionArn: ids.OTHER_EXECUTION_ARN }));
      return { certificateId: ids.NEW_CERT_ID, certificateArn: NEW_ARN, certificatePem: NEW_PEM };
    });
    iotMock.on(DeleteCertificateCommand).resolves({});
    // Act
    await expect(handler()(event(), lambdaContext('issue'))).rejects.toMatchObject({
      name: 'RotationSuperseded',
    });
    // Assess: created ACTIVE, so it is set INACTIVE before AWS lets it be deleted; nothing attached.
    expect(iotMock.commandCalls(UpdateCertificateCommand).map((c) => c.args[0].input)).toEqual([
      { certificateId: ids.NEW_CERT_ID, newStatus: 'INACTIVE' },
    ]);
    expect(iotMock.commandCalls(DeleteCertificateCommand).map((c) => c.args[0].input.certificateId)).toEqual([
      ids.NEW_CERT_ID,
    ]);
    expect(iotMock.commandCalls(AttachPolicyCommand)).toHaveLength(0);
    expect(iotMock.commandCalls(AttachThingPrincipalCommand)).toHaveLength(0);
  });

  it('a superseded execution learns it is superseded, whatever else is wrong with its input', async () => {
    // Prepare: another execution owns the record; one run brings a bad CSR, one a deleted old certificate.
    const theirs = csrReceived({ executionArn: ids.OTHER_EXECUTION_ARN });
    await table.put(theirs);
    // Act
    const badCsr = handler()(event(csrFixture('bad-tampered.csr.pem')), lambdaContext('issue'));
    await expect(badCsr).rejects.toMatchObject({ name: 'RotationSuperseded' });
    iotMock
      .on(DescribeCertificateCommand, { certificateId: ids.OLD_CERT_ID })
      .rejects(Object.assign(new Error('gone'), { name: 'ResourceNotFoundException' }));
    const oldGone = handler()(event(), lambdaContext('issue'));
    // Assess
    await expect(oldGone).rejects.toMatchObject({ name: 'RotationSuperseded' });
    expect(await table.read(ids.THING)).toEqual(theirs);
  });

  it('refuses to issue when the record rotates another certificate, or the old one is gone', async () => {
    // Prepare
    await table.put(csrReceived({ oldCertificateId: 'c'.repeat(64) }));
    // Act
    const otherOld = handler()(event(), lambdaContext('issue'));
    // Assess
    await expect(otherOld).rejects.toMatchObject({ name: 'CertificateMismatch' });
    expect((await table.read(ids.THING))?.issuingRotationId).toBeUndefined();
    // Prepare
    await table.put(csrReceived());
    iotMock
      .on(DescribeCertificateCommand, { certificateId: ids.OLD_CERT_ID })
      .rejects(Object.assign(new Error('gone'), { name: 'ResourceNotFoundException' }));
    // Act
    const oldGone = handler()(event(), lambdaContext('issue'));
    // Assess
    await expect(oldGone).rejects.toMatchObject({ name: 'CertificateMismatch' });
    expect(iotMock.commandCalls(CreateCertificateFromCsrCommand)).toHaveLength(0);
  });

  it('refuses to issue for an execution that no longer owns the thing', async () => {
    await table.put(csrReceived({ executionArn: ids.OTHER_EXECUTION_ARN }));
    await expect(handler()(event(), lambdaContext('issue'))).rejects.toMatchObject({
      name: 'RotationSuperseded',
    });
    expect(iotMock.commandCalls(CreateCertificateFromCsrCommand)).toHaveLength(0);
  });
});
