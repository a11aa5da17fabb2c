import { DeleteCertificateCommand, IoTClient } from '@aws-sdk/client-iot';
import { PublishCommand as IotPublishCommand } from '@aws-sdk/client-iot-data-plane';
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHandler as createReconnectHandler } from '../../functions/event-triggered/on-reconnect/handler.ts';
import { createHandler as createRecorderHandler } from '../../functions/event-triggered/outcome-recorder/handler.ts';
import type { RotationRecord } from '../../functions/shared/rotation-record.ts';
import { claimedRecord, clock, lambdaContext, useTable } from './harness.ts';
import { acceptRetirementCalls, usePublishingIotData } from './iot-fakes.ts';
import * as ids from './rotation-ids.ts';

const table = useTable();
const { iotData, iotDataMock } = usePublishingIotData();
const sns = new SNSClient({ region: 'us-east-1' });
const snsMock = mockClient(sns);
const iot = new IoTClient({ region: 'us-east-1' });
const iotMock = mockClient(iot);
const STATE_MACHINE = 'arn:aws:states:us-east-1:000000000000:stateMachine:recert-rotate-device';
const TOPIC = 'arn:aws:sns:us-east-1:000000000000:recert-escalations';

beforeEach(() => {
  snsMock.reset();
  snsMock.on(PublishCommand).resolves({ MessageId: 'm' });
  acceptRetirementCalls(iotMock, []);
});

/** The record once the new certificate went out and the workflow waits for the device's ack. */
const awaitingAck = (o: Partial<RotationRecord>): RotationRecord =>
  claimedRecord({
    phase: 'AWAITING_ACK',
    rotationId: ids.ROTATION_ID,
    newCertificateId: ids.NEW_CERT_ID,
    ...o,
  });

/** The certificate ids the mocked IoT client was asked to delete. */
const deletedCertificates = () =>
  iotMock.commandCalls(DeleteCertificateCommand).map((c) => c.args[0].input.certificateId);

const reconnect = () =>
  createReconnectHandler({ db: table.db, tableName: table.tableName, iotData, logLevel: 'SILENT' });
const connected = (clientId = ids.THING) => ({
  clientId,
  eventType: 'connected',
  timestamp: ids.NOW,
  versionNumber: 3,
});
const sentTopics = () => iotDataMock.commandCalls(IotPublishCommand).map((c) => c.args[0].input.topic);

describe('on-reconnect', () => {
  it('sends the pending csr_req again when the device comes back', async () => {
    await table.put(claimedRecord({ phase: 'AWAITING_CSR', rotationId: ids.ROTATION_ID, taskToken: 't' }));
    await expect(reconnect()(connected(), lambdaContext('r'))).resolves.toEqual({ resent: 'csr_req' });
    expect(sentTopics()).toEqual([`management/topic/${ids.THING}/csr_req`]);
    const payload = iotDataMock.commandCalls(IotPublishCommand)[0]?.args[0].input.payload;
    expect(
      JSON.parse(Buffer.from(payload instanceof Uint8Array ? payload : new Uint8Array()).toString()),
    ).toEqual({
      rotationId: ids.ROTATION_ID,
    });
  });

  it('sends the pending crt_res again', async () => {
    await table.put(awaitingAck({ taskToken: 't', newCertificatePem: 'PEM' }));
    await expect(reconnect()(connected(), lambdaContext('r'))).resolves.toEqual({ resent: 'crt_res' });
    expect(sentTopics()).toEqual([`management/topic/${ids.THING}/crt_res`]);
  });

  it('sends nothing when the device connects with the new certificate to prove it', async () => {
    // Prepare: the certificate was delivered; the device opens its proving connection with it.
    await table.put(awaitingAck({ taskToken: 't', newCertificatePem: 'PEM' }));
    // Act
    const out = await reconnect()(
      { ...connected(), principalIdentifier: ids.NEW_CERT_ID },
      lambdaContext('r'),
    );
    // Assess
    expect(out).toEqual({ resent: null, why: 'connected with the new certificate' });
    expect(sentTopics()).toEqual([]);
  });

  it.each([
    ['no rotation', undefined],
    [
      'a finished rotation',
      claimedRecord({ status: 'SUCCEEDED', phase: 'DONE', rotationId: ids.ROTATION_ID }),
    ],
    ['a rotation that waits for nothing', claimedRecord({ phase: 'ISSUING', rotationId: ids.ROTATION_ID })],
  ])('sends nothing for %s', async (_label, record) => {
    if (record) await table.put(record);
    const out = await reconnect()(connected(record ? ids.THING : 'sensor-none'), lambdaContext('r'));
    expect(out).toMatchObject({ resent: null });
    expect(iotDataMock.calls()).toHaveLength(0);
  });

  it('ignores an event that is not a connected event', async () => {
    await expect(
      reconnect()({ clientId: ids.THING, eventType: 'disconnected' }, lambdaContext('r')),
    ).resolves.toMatchObject({
      resent: null,
    });
  });
});

/** The first escalation published, as its reader parses it. */
const escalation = () => JSON.parse(snsMock.commandCalls(PublishCommand)[0]?.args[0].input.Message ?? '{}');

const recorder = () =>
  createRecorderHandler({
    db: table.db,
    tableName: table.tableName,
    sns,
    iot,
    clock,
    stateMachineArn: STATE_MACHINE,
    escalationTopicArn: TOPIC,
    logLevel: 'SILENT',
  });
const statusChange = (status: string, o: Record<string, unknown> = {}) => ({
  version: '0',
  source: 'aws.states',
  'detail-type': 'Step Functions Execution Status Change',
  detail: {
    executionArn: ids.EXECUTION_ARN,
    stateMachineArn: STATE_MACHINE,
    status,
    input: JSON.stringify({ thingName: ids.THING, oldCertificateId: ids.OLD_CERT_ID }),
    error: 'States.Timeout',
    cause: 'the device did not answer',
    ...o,
  },
});

describe('outcome-recorder', () => {
  it('records a failed rotation with its cause and escalates it once', async () => {
    // Prepare
    await table.put(awaitingAck({ taskToken: 't' }));
    // Act
    const first = await recorder()(statusChange('FAILED'), lambdaContext('o'));
    const again = await recorder()(statusChange('FAILED'), lambdaContext('o'));
    // Assess
    expect(first).toEqual({ action: 'escalated', recorded: true });
    expect(again).toMatchObject({ action: 'ignored' });
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(1);
    const message = escalation();
    expect(message).toMatchObject({
      thingName: ids.THING,
      status: 'FAILED',
      error: 'States.Timeout',
      phase: 'AWAITING_ACK',
      unprovenCertificateId: ids.NEW_CERT_ID,
    });
    const record = await table.read(ids.THING);
    expect(record).toMatchObject({
      status: 'FAILED',
      lastError: 'States.Timeout: the device did not answer',
    });
    expect(record?.taskToken).toBeUndefined();
    expect(record?.expiresAt).toBe(Math.floor(ids.NOW / 1000) + 90 * 86_400);
  });

  it.each(['TIMED_OUT', 'ABORTED'])('records %s the same way', async (status) => {
    await table.put(claimedRecord({ phase: 'AWAITING_CSR', rotationId: ids.ROTATION_ID }));
    await expect(recorder()(statusChange(status), lambdaContext('o'))).resolves.toEqual({
      action: 'escalated',
      recorded: true,
    });
    expect((await table.read(ids.THING))?.status).toBe(status);
  });

  it('escalates again after a failed publish was retried', async () => {
    await table.put(claimedRecord({ phase: 'AWAITING_CSR', rotationId: ids.ROTATION_ID }));
    snsMock
      .on(PublishCommand)
      .rejectsOnce(Object.assign(new Error('slow'), { name: 'ThrottlingException' }))
      .resolves({});
    await expect(recorder()(statusChange('FAILED'), lambdaContext('o'))).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
    await expect(recorder()(statusChange('FAILED'), lambdaContext('o'))).resolves.toMatchObject({
      action: 'escalated',
    });
    expect((await table.read(ids.THING))?.escalatedAt).toBeDefined();
  });

  it('never overwrites the record of a newer rotation of the thing', async () => {
    await table.put(claimedRecord({ executionArn: ids.OTHER_EXECUTION_ARN, phase: 'AWAITING_CSR' }));
    const out = await recorder()(statusChange('FAILED'), lambdaContext('o'));
    expect(out).toEqual({ action: 'escalated', recorded: false });
    expect(await table.read(ids.THING)).toMatchObject({
      status: 'IN_PROGRESS',
      executionArn: ids.OTHER_EXECUTION_ARN,
    });
  });

  it('revokes the unproven certificate of an aborted rotation, never the old one (invariant 5)', async () => {
    await table.put(awaitingAck({ taskToken: 't', newCertificateRotationId: ids.ROTATION_ID }));
    const out = await recorder()(statusChange('ABORTED', { error: null, cause: null }), lambdaContext('o'));
    expect(out).toEqual({ action: 'escalated', recorded: true });
    expect(deletedCertificates()).toEqual([ids.NEW_CERT_ID]);
    expect(await table.read(ids.THING)).toMatchObject({
      status: 'ABORTED',
      revokedCertificateIds: [ids.NEW_CERT_ID],
    });
    const message = escalation();
    expect(message).toMatchObject({
      unprovenCertificateId: ids.NEW_CERT_ID,
      unprovenCertificateRevoked: true,
    });
  });

  it('records an operator abandon and revokes its certificate, without paging anyone', async () => {
    // Prepare: `recert abandon` stopped the execution with its own error name.
    await table.put(awaitingAck({ taskToken: 't', newCertificateRotationId: ids.ROTATION_ID }));
    // Act
    const out = await recorder()(
      statusChange('ABORTED', { error: 'RecertAbandoned', cause: 'abandoned by an operator' }),
      lambdaContext('o'),
    );
    // Assess
    expect(out).toEqual({ action: 'abandoned', recorded: true });
    expect(snsMock.commandCalls(PublishCommand)).toHaveLength(0);
    expect(deletedCertificates()).toEqual([ids.NEW_CERT_ID]);
    expect(await table.read(ids.THING)).toMatchObject({ status: 'ABORTED' });
  });

  it('keeps the unproven certificate of a failed rotation for its redrive', async () => {
    await table.put(awaitingAck({ newCertificateRotationId: ids.ROTATION_ID }));
    await recorder()(statusChange('FAILED'), lambdaContext('o'));
    expect(iotMock.calls()).toHaveLength(0);
    expect((await table.read(ids.THING))?.newCertificateId).toBe(ids.NEW_CERT_ID);
  });

  it('counts a success and ignores other state machines', async () => {
    await expect(recorder()(statusChange('SUCCEEDED'), lambdaContext('o'))).resolves.toEqual({
      action: 'counted',
      status: 'SUCCEEDED',
    });
    await expect(
      recorder()(statusChange('FAILED', { stateMachineArn: `${STATE_MACHINE}-other` }), lambdaContext('o')),
    ).resolves.toMatchObject({ action: 'ignored' });
    expect(snsMock.calls()).toHaveLength(0);
  });
});
