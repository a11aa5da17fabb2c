import { DynamoDBClient, GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import {
  AttachPolicyCommand,
  AttachThingPrincipalCommand,
  CreateCertificateFromCsrCommand,
  DescribeCertificateCommand,
  IoTClient,
  ListAttachedPoliciesCommand,
} from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { AwsIotIssuer } from '../../functions/rotation-steps/issue-certificate/certificate-issuer.ts';
import { issueCertificate } from '../../functions/rotation-steps/issue-certificate/issue-certificate.ts';
import { toAttributeMap } from '../../functions/shared/document-commands.ts';
import { type RotationRecord, RotationRecordStore } from '../../functions/shared/rotation-record.ts';
import { csrFixture } from './csr-fixtures.ts';
import { readableUpdate } from './expression-text.ts';
import { claimedRecord, clock, conditionFailed, plainInput, recorders } from './harness.ts';
import { activeCertificate, certificateArn } from './iot-fakes.ts';
import { EXECUTION_ARN, NEW_CERT_ID, OLD_CERT_ID, ROTATION_ID, THING } from './rotation-ids.ts';

/**
 * The DynamoDB and IoT calls of the issue step, one by one: the certificate is recorded with its
 * phase and the policies it gets in one write, after which the attachments need no write.
 */

const TABLE = 'rotations';
const OLD_ARN = certificateArn(OLD_CERT_ID);
const NEW_ARN = certificateArn(NEW_CERT_ID);
const NEW_PEM = '-----BEGIN CERTIFICATE-----\nNEW\n-----END CERTIFICATE-----\n';
const db = new DynamoDBClient({ region: 'us-east-1' });
const dbMock = mockClient(db);
const iot = new IoTClient({ region: 'us-east-1' });
const iotMock = mockClient(iot);

/** Every DynamoDB and IoT command, in the order sent. */
let sent: string[];
const note =
  <T>(name: string, out: T) =>
  () => {
    sent.push(name);
    return out;
  };

const csrReceived = (o: Partial<RotationRecord> = {}) =>
  claimedRecord({ phase: 'CSR_RECEIVED', rotationId: ROTATION_ID, ...o });
const issuedRecord = (o: Partial<RotationRecord> = {}) =>
  csrReceived({
    phase: 'ISSUED',
    issuingRotationId: ROTATION_ID,
    newCertificateId: NEW_CERT_ID,
    newCertificateArn: NEW_ARN,
    newCertificatePem: NEW_PEM,
    newCertificateRotationId: ROTATION_ID,
    copiedPolicies: { rotationId: ROTATION_ID, fromCertificateArn: OLD_ARN, policyNames: ['device-policy'] },
    ...o,
  });

beforeEach(() => {
  sent = [];
  dbMock.reset();
  iotMock.reset();
  iotMock
    .on(DescribeCertificateCommand)
    .callsFake(
      note('DescribeCertificate', activeCertificate(OLD_CERT_ID, csrFixture('old-certificate.pem'))),
    );
  iotMock
    .on(ListAttachedPoliciesCommand)
    .callsFake(note('ListAttachedPolicies', { policies: [{ policyName: 'device-policy' }] }));
  iotMock.on(CreateCertificateFromCsrCommand).callsFake(
    note('CreateCertificateFromCsr', {
      certificateId: NEW_CERT_ID,
      certificateArn: NEW_ARN,
      certificatePem: NEW_PEM,
    }),
  );
  iotMock.on(AttachPolicyCommand).callsFake(note('AttachPolicy', {}));
  iotMock.on(AttachThingPrincipalCommand).callsFake(note('AttachThingPrincipal', {}));
});

function issue() {
  const r = recorders();
  return issueCertificate(
    {
      taskToken: 'token-ack',
      thingName: THING,
      executionArn: EXECUTION_ARN,
      rotationId: ROTATION_ID,
      oldCertificateId: OLD_CERT_ID,
      csr: csrFixture('ok-ec-p256.csr.pem'),
    },
    {
      store: new RotationRecordStore(db, TABLE),
      iot,
      issuer: new AwsIotIssuer(iot),
      clock,
      log: r.log,
      counter: r.counter,
      requireCnMatch: true,
    },
  );
}

/** The n-th UpdateItem sent (from 0), its placeholders filled in. */
const updateSent = (n: number) =>
  readableUpdate(plainInput(dbMock.commandCalls(UpdateItemCommand)[n]?.args[0].input));

/** What the step asks of the old certificate before any write: its description and its policies. */
const OLD_CERTIFICATE_READS = ['DescribeCertificate', 'ListAttachedPolicies'];
/** What gives the new certificate the old one's policies and the thing. */
const ATTACHMENTS = ['AttachPolicy', 'AttachThingPrincipal'];

/** The marker's write is refused (the record holds what `record` says); other writes succeed. */
function markerRefused(record: RotationRecord) {
  dbMock.on(GetItemCommand).callsFake(note('GetItem', { Item: toAttributeMap(record) }));
  dbMock.on(UpdateItemCommand).callsFake((input: Record<string, unknown>) => {
    sent.push('UpdateItem');
    if (readableUpdate(input).update.includes('issuingRotationId = ')) throw conditionFailed(record);
    return { Attributes: toAttributeMap(record) };
  });
}

describe('issue-certificate: the calls of the happy path', () => {
  it('writes twice and reads nothing: the marker (holding the checks a read made), then the certificate with phase ISSUED and its policies', async () => {
    // Prepare
    dbMock
      .on(UpdateItemCommand)
      .callsFake(note('UpdateItem', { Attributes: toAttributeMap(issuedRecord()) }));
    // Act
    const out = await issue();
    // Assess
    expect(out).toEqual({ certificateId: NEW_CERT_ID, certificateArn: NEW_ARN });
    expect(sent).toEqual([
      ...OLD_CERTIFICATE_READS,
      'UpdateItem',
      'CreateCertificateFromCsr',
      'UpdateItem',
      ...ATTACHMENTS,
    ]);
    expect(dbMock.commandCalls(GetItemCommand)).toHaveLength(0);
    const marker = updateSent(0);
    expect(marker.condition).toBe(
      `executionArn = "${EXECUTION_ARN}" AND rotationId = "${ROTATION_ID}" AND ` +
        `(attribute_not_exists(issuingRotationId) OR issuingRotationId <> "${ROTATION_ID}") AND ` +
        `oldCertificateId = "${OLD_CERT_ID}" AND status = "IN_PROGRESS"`,
    );
    // The status is a condition, not a write: the byStatus index is not written.
    expect(marker.update).not.toMatch(/\bstatus =|statusSince/);
    const recordIssued = updateSent(1);
    expect(recordIssued.update).toContain('phase = "ISSUED"');
    expect(recordIssued.update).toContain(`newCertificateId = "${NEW_CERT_ID}"`);
    expect(recordIssued.update).toContain(
      `copiedPolicies = ${JSON.stringify({ rotationId: ROTATION_ID, fromCertificateArn: OLD_ARN, policyNames: ['device-policy'] })}`,
    );
    // Still fenced: only this execution, after its own marker, and never twice for one rotationId.
    expect(recordIssued.condition).toBe(
      `executionArn = "${EXECUTION_ARN}" AND issuingRotationId = "${ROTATION_ID}" AND ` +
        `(attribute_not_exists(newCertificateRotationId) OR newCertificateRotationId <> "${ROTATION_ID}")`,
    );
  });
});

describe('issue-certificate: a retried step that finds its certificate recorded', () => {
  it('reads nothing after the refused marker (the refusal returns the record), attaches again and writes nothing when the recorded policies still hold', async () => {
    // Prepare
    markerRefused(issuedRecord());
    // Act
    const out = await issue();
    // Assess
    expect(out).toEqual({ certificateId: NEW_CERT_ID, certificateArn: NEW_ARN });
    expect(sent).toEqual([...OLD_CERTIFICATE_READS, 'UpdateItem', ...ATTACHMENTS]);
  });

  it('records the policies when they changed since the certificate was recorded', async () => {
    // Prepare
    markerRefused(
      issuedRecord({
        copiedPolicies: { rotationId: ROTATION_ID, fromCertificateArn: OLD_ARN, policyNames: ['gone'] },
      }),
    );
    // Act
    await issue();
    // Assess
    // The refused marker once (its record says the attempt is issued: no resumption), then the policies.
    expect(sent.filter((s) => s === 'UpdateItem')).toHaveLength(2);
    expect(sent).not.toContain('CreateCertificateFromCsr');
    const policies = updateSent(1);
    expect(policies.update).toContain('phase = "ISSUED"');
    expect(policies.update).toContain(
      `copiedPolicies = ${JSON.stringify({ rotationId: ROTATION_ID, fromCertificateArn: OLD_ARN, policyNames: ['device-policy'] })}`,
    );
  });
});
