import {
  DeleteCertificateCommand,
  DescribeCertificateCommand,
  DetachPolicyCommand,
  DetachThingPrincipalCommand,
  IoTClient,
  ListAttachedPoliciesCommand,
  UpdateCertificateCommand,
} from '@aws-sdk/client-iot';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHandler as createRetireHandler } from '../../functions/rotation-steps/retire-certificate/handler.ts';
import { createHandler as createRevokeHandler } from '../../functions/rotation-steps/revoke-certificate/handler.ts';
import type { RotationRecord } from '../../functions/shared/rotation-record.ts';
import { claimedRecord, clock, lambdaContext, useTable } from './harness.ts';
import { acceptRetirementCalls, certificateArn as arn } from './iot-fakes.ts';
import * as ids from './rotation-ids.ts';

const table = useTable();
const iot = new IoTClient({ region: 'us-east-1' });
const iotMock = mockClient(iot);

beforeEach(() => {
  acceptRetirementCalls(iotMock);
});

const withNewCertificate = (o: Partial<RotationRecord> = {}) =>
  claimedRecord({
    phase: 'DEVICE_ERROR',
    rotationId: ids.ROTATION_ID,
    newCertificateId: ids.NEW_CERT_ID,
    newCertificateArn: arn(ids.NEW_CERT_ID),
    newCertificateRotationId: ids.ROTATION_ID,
    ...o,
  });
const revoke = () =>
  createRevokeHandler({ db: table.db, tableName: table.tableName, iot, clock, logLevel: 'SILENT' });
const retire = () =>
  createRetireHandler({ db: table.db, tableName: table.tableName, iot, clock, logLevel: 'SILENT' });
const revokeEvent = {
  thingName: ids.THING,
  executionArn: ids.EXECUTION_ARN,
  rotationId: ids.ROTATION_ID,
  reason: 'DeviceCertificateError',
};
const RETENTION_SECONDS = 3_600;
const retireEvent = {
  thingName: ids.THING,
  executionArn: ids.EXECUTION_ARN,
  rotationId: ids.ROTATION_ID,
  oldCertificateId: ids.OLD_CERT_ID,
  newCertificateId: ids.NEW_CERT_ID,
  recordRetentionSeconds: RETENTION_SECONDS,
};
const touched = (command: 'update' | 'delete'): (string | undefined)[] =>
  command === 'update'
    ? iotMock.commandCalls(UpdateCertificateCommand).map((c) => c.args[0].input.certificateId)
    : iotMock.commandCalls(DeleteCertificateCommand).map((c) => c.args[0].input.certificateId);

/** The policies the issue step of this rotation copied from the old certificate. */
const copied = (policyNames: string[]) => ({
  copiedPolicies: { rotationId: ids.ROTATION_ID, fromCertificateArn: arn(ids.OLD_CERT_ID), policyNames },
});
/** How often a step looked a certificate up: described it, listed its policies. */
const lookups = () => ({
  described: iotMock.commandCalls(DescribeCertificateCommand).length,
  listed: iotMock.commandCalls(ListAttachedPoliciesCommand).length,
});
/** Each DetachPolicy asked: the policy and the certificate ARN. */
const detachedPolicies = () => iotMock.commandCalls(DetachPolicyCommand).map((c) => c.args[0].input);

describe('revoke-certificate', () => {
  it('detaches, deactivates and deletes the new certificate of the failed attempt, never the old one', async () => {
    // Prepare
    await table.put(withNewCertificate());
    // Act
    const out = await revoke()(revokeEvent, lambdaContext('revoke'));
    // Assess
    expect(out).toMatchObject({ certificateId: ids.NEW_CERT_ID });
    expect(iotMock.commandCalls(DetachThingPrincipalCommand)[0]?.args[0].input).toEqual({
      thingName: ids.THING,
      principal: arn(ids.NEW_CERT_ID),
    });
    expect(iotMock.commandCalls(DetachPolicyCommand)[0]?.args[0].input.target).toBe(arn(ids.NEW_CERT_ID));
    expect(touched('update')).toEqual([ids.NEW_CERT_ID]);
    expect(touched('delete')).toEqual([ids.NEW_CERT_ID]);
    const record = await table.read(ids.THING);
    expect(record).toMatchObject({
      phase: 'REVOKED',
      revokedCertificateIds: [ids.NEW_CERT_ID],
      lastError: 'DeviceCertificateError',
    });
    expect(record?.newCertificateId).toBeUndefined();
  });

  it('does nothing the second time (a retried or redriven step)', async () => {
    await table.put(withNewCertificate());
    await revoke()(revokeEvent, lambdaContext('revoke'));
    iotMock.resetHistory();
    const again = await revoke()(revokeEvent, lambdaContext('revoke'));
    expect(again).toEqual({ certificateId: null, action: 'none' });
    expect(iotMock.calls()).toHaveLength(0);
    expect((await table.read(ids.THING))?.revokedCertificateIds).toEqual([ids.NEW_CERT_ID]);
  });

  it('counts a certificate that is already gone as revoked', async () => {
    await table.put(withNewCertificate());
    const gone = Object.assign(new Error('gone'), { name: 'ResourceNotFoundException' });
    iotMock.on(DetachThingPrincipalCommand).rejects(gone);
    iotMock.on(ListAttachedPoliciesCommand).rejects(gone);
    iotMock.on(UpdateCertificateCommand, { certificateId: ids.NEW_CERT_ID }).rejects(gone);
    await expect(revoke()(revokeEvent, lambdaContext('revoke'))).resolves.toMatchObject({
      action: 'revoked (absent)',
    });
    expect(touched('delete')).toEqual([]);
  });

  it('detaches the policies the issue step attached without listing them, nor describing the certificate', async () => {
    // Prepare: the issue step of this attempt finished and recorded what it copied.
    await table.put(withNewCertificate(copied(['p1', 'p2'])));
    // Act
    await revoke()(revokeEvent, lambdaContext('revoke'));
    // Assess
    expect(lookups()).toEqual({ described: 0, listed: 0 });
    expect(detachedPolicies()).toEqual([
      { policyName: 'p1', target: arn(ids.NEW_CERT_ID) },
      { policyName: 'p2', target: arn(ids.NEW_CERT_ID) },
    ]);
    expect(touched('update')).toEqual([ids.NEW_CERT_ID]);
    expect(touched('delete')).toEqual([ids.NEW_CERT_ID]);
  });

  it('retries later when the delete still sees an attachment (eventual consistency)', async () => {
    await table.put(withNewCertificate());
    iotMock
      .on(DeleteCertificateCommand)
      .rejectsOnce(Object.assign(new Error('attached'), { name: 'DeleteConflictException' }));
    await expect(revoke()(revokeEvent, lambdaContext('revoke'))).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
    expect((await table.read(ids.THING))?.newCertificateId).toBe(ids.NEW_CERT_ID);
  });

  it('refuses to touch anything for an execution that no longer owns the thing', async () => {
    await table.put(withNewCertificate({ executionArn: ids.OTHER_EXECUTION_ARN }));
    await expect(revoke()(revokeEvent, lambdaContext('revoke'))).rejects.toMatchObject({
      name: 'RotationSuperseded',
    });
    expect(iotMock.calls()).toHaveLength(0);
  });
});

describe('retire-certificate', () => {
  const proven = (o: Partial<RotationRecord> = {}) =>
    withNewCertificate({ phase: 'PROVEN', provenCertificateId: ids.NEW_CERT_ID, provenAt: 'x', ...o });

  it('retires the old certificate after the proven crt_ack', async () => {
    await table.put(proven());
    await retire()(retireEvent, lambdaContext('retire'));
    expect(touched('update')).toEqual([ids.OLD_CERT_ID]);
    expect(touched('delete')).toEqual([ids.OLD_CERT_ID]);
    expect(iotMock.commandCalls(DetachThingPrincipalCommand)[0]?.args[0].input.principal).toBe(
      arn(ids.OLD_CERT_ID),
    );
    // The step's last write completes the rotation: there is no separate completion state.
    const record = await table.read(ids.THING);
    expect(record).toMatchObject({ status: 'SUCCEEDED', phase: 'DONE' });
    expect(record?.oldCertificateRetiredAt).toBe(record?.completedAt);
    expect(record?.expiresAt).toBe(
      Math.floor(Date.parse(record?.completedAt ?? '') / 1000) + RETENTION_SECONDS,
    );
    expect(record?.taskToken).toBeUndefined();
  });

  it('does nothing again when Step Functions runs the finished step a second time', async () => {
    // Prepare: the first run retired the certificate and completed the record; its answer was lost.
    await table.put(proven());
    await retire()(retireEvent, lambdaContext('retire'));
    const callsBefore = iotMock.calls().length;
    const before = await table.read(ids.THING);
    // Act
    const again = await retire()(retireEvent, lambdaContext('retire'));
    // Assess
    expect(again).toMatchObject({ certificateId: ids.OLD_CERT_ID, action: 'retired (already)' });
    expect(iotMock.calls()).toHaveLength(callsBefore);
    expect(await table.read(ids.THING)).toEqual(before);
  });

  it('detaches exactly the policies issue copied: one deactivation, one delete, nothing described or listed', async () => {
    // Prepare
    await table.put(proven(copied(['device-policy', 'telemetry-policy'])));
    // Act
    await retire()(retireEvent, lambdaContext('retire'));
    // Assess
    expect(lookups()).toEqual({ described: 0, listed: 0 });
    expect(detachedPolicies()).toEqual([
      { policyName: 'device-policy', target: arn(ids.OLD_CERT_ID) },
      { policyName: 'telemetry-policy', target: arn(ids.OLD_CERT_ID) },
    ]);
    expect(iotMock.commandCalls(UpdateCertificateCommand).map((c) => c.args[0].input)).toEqual([
      { certificateId: ids.OLD_CERT_ID, newStatus: 'INACTIVE' },
    ]);
    expect(touched('delete')).toEqual([ids.OLD_CERT_ID]);
    expect((await table.read(ids.THING))?.phase).toBe('DONE');
  });

  it('lists and detaches again only when the delete conflicts (a policy attached meanwhile)', async () => {
    // Prepare: someone attached another policy to the old certificate after issue copied them.
    await table.put(proven(copied(['device-policy'])));
    iotMock
      .on(DeleteCertificateCommand)
      .rejectsOnce(Object.assign(new Error('attached'), { name: 'DeleteConflictException' }))
      .resolves({});
    iotMock.on(ListAttachedPoliciesCommand).resolves({ policies: [{ policyName: 'added-later' }] });
    // Act
    await retire()(retireEvent, lambdaContext('retire'));
    // Assess
    expect(iotMock.commandCalls(ListAttachedPoliciesCommand)).toHaveLength(1);
    expect(iotMock.commandCalls(DetachPolicyCommand).map((c) => c.args[0].input.policyName)).toEqual([
      'device-policy',
      'added-later',
    ]);
    expect(touched('update')).toEqual([ids.OLD_CERT_ID]);
    expect(touched('delete')).toEqual([ids.OLD_CERT_ID, ids.OLD_CERT_ID]);
    expect((await table.read(ids.THING))?.phase).toBe('DONE');
  });

  it('retries the step later when the delete conflicts again after the second detach', async () => {
    await table.put(proven(copied(['device-policy'])));
    iotMock
      .on(DeleteCertificateCommand)
      .rejects(Object.assign(new Error('attached'), { name: 'DeleteConflictException' }));
    await expect(retire()(retireEvent, lambdaContext('retire'))).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
    expect(touched('delete')).toEqual([ids.OLD_CERT_ID, ids.OLD_CERT_ID]);
    expect((await table.read(ids.THING))?.phase).toBe('PROVEN');
  });

  it('describes and lists when the record holds no copy of this attempt (another rotation left it)', async () => {
    await table.put(
      proven({ copiedPolicies: { rotationId: 'earlier', fromCertificateArn: 'x', policyNames: ['stale'] } }),
    );
    await retire()(retireEvent, lambdaContext('retire'));
    expect(iotMock.commandCalls(DescribeCertificateCommand)).toHaveLength(1);
    expect(iotMock.commandCalls(DetachPolicyCommand).map((c) => c.args[0].input.policyName)).toEqual([
      'device-policy',
    ]);
    expect(touched('delete')).toEqual([ids.OLD_CERT_ID]);
  });

  // A grace period (the certificate kept INACTIVE and its "delete after" entry) is tested in
  // retire-grace-period.test.ts, beside the campaign table it writes to.

  it.each([
    ['no crt_ack yet', { phase: 'AWAITING_ACK' as const, provenCertificateId: undefined }],
    ['proof for another certificate', { provenCertificateId: 'c'.repeat(64) }],
  ])('never touches the old certificate without proof: %s (invariant 1)', async (_label, overrides) => {
    await table.put(proven(overrides));
    await expect(retire()(retireEvent, lambdaContext('retire'))).rejects.toMatchObject({
      name: 'ProofOfPossessionMissing',
    });
    expect(iotMock.calls()).toHaveLength(0);
  });

  it('refuses when asked to retire a certificate other than the one being replaced', async () => {
    await table.put(proven());
    await expect(
      retire()({ ...retireEvent, oldCertificateId: ids.NEW_CERT_ID }, lambdaContext('retire')),
    ).rejects.toMatchObject({ name: 'CertificateMismatch' });
    expect(iotMock.calls()).toHaveLength(0);
  });
});
