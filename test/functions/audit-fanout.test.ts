import { IoTClient, ListAuditFindingsCommand, ListPrincipalThingsCommand } from '@aws-sdk/client-iot';
import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/audit-fanout/handler.ts';
import { executionName } from '../../workflows/rotate-device/naming.ts';
import { lambdaContext } from './harness.ts';

const iot = new IoTClient({ region: 'us-east-1' });
const sfn = new SFNClient({ region: 'us-east-1' });
const iotMock = mockClient(iot);
const sfnMock = mockClient(sfn);
const STATE_MACHINE = 'arn:aws:states:us-east-1:123456789012:stateMachine:recert-rotate-device';
const cert = (c: string) => c.repeat(64);
const certArn = (c: string) => `arn:aws:iot:us-east-1:123456789012:cert/${cert(c)}`;
const finding = (id: string, certificateId: string | undefined) => ({
  findingId: id,
  checkName: 'DEVICE_CERTIFICATE_EXPIRING_CHECK',
  nonCompliantResource: {
    resourceType: 'DEVICE_CERTIFICATE' as const,
    resourceIdentifier: certificateId ? { deviceCertificateId: certificateId } : {},
  },
});

const snsEvent = (message: unknown) => ({
  Records: [
    {
      EventSource: 'aws:sns',
      Sns: { TopicArn: 'arn:aws:sns:us-east-1:123456789012:recert-audit', Message: JSON.stringify(message) },
    },
  ],
});
const notification = {
  accountId: '123456789012',
  taskId: 'a1b2c3d4',
  taskStatus: 'COMPLETED',
  taskType: 'SCHEDULED_AUDIT_TASK',
  auditDetails: [
    {
      checkName: 'DEVICE_CERTIFICATE_EXPIRING_CHECK',
      checkRunStatus: 'COMPLETED_NON_COMPLIANT',
      nonCompliantResourcesCount: 5,
    },
    {
      checkName: 'DEVICE_CERTIFICATE_AGE_CHECK',
      checkRunStatus: 'COMPLETED_COMPLIANT',
      nonCompliantResourcesCount: 0,
    },
  ],
};

const handler = () =>
  createHandler({ iot, sfn, stateMachineArn: STATE_MACHINE, region: 'us-east-1', logLevel: 'SILENT' });

beforeEach(() => {
  iotMock.reset();
  sfnMock.reset();
  iotMock
    .on(ListAuditFindingsCommand, { taskId: 'a1b2c3d4', checkName: 'DEVICE_CERTIFICATE_EXPIRING_CHECK' })
    .resolves({ findings: [finding('f1', cert('1')), finding('f2', undefined)], nextToken: 'p2' });
  iotMock
    .on(ListAuditFindingsCommand, {
      taskId: 'a1b2c3d4',
      checkName: 'DEVICE_CERTIFICATE_EXPIRING_CHECK',
      nextToken: 'p2',
    })
    .resolves({ findings: [finding('f3', cert('2')), finding('f4', cert('3')), finding('f5', cert('4'))] });
  iotMock.on(ListPrincipalThingsCommand, { principal: certArn('1') }).resolves({ things: ['sensor-1'] });
  iotMock
    .on(ListPrincipalThingsCommand, { principal: certArn('2') })
    .resolves({ things: ['sensor-2a'], nextToken: 'more' });
  iotMock
    .on(ListPrincipalThingsCommand, { principal: certArn('2'), nextToken: 'more' })
    .resolves({ things: ['sensor-2b'] });
  iotMock
    .on(ListPrincipalThingsCommand, { principal: certArn('3') })
    .rejects(Object.assign(new Error('bad'), { name: 'InvalidRequestException' }));
  iotMock.on(ListPrincipalThingsCommand, { principal: certArn('4') }).resolves({ things: ['sensor:4'] });
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });
});

describe('audit-fanout', () => {
  it('starts one execution per (thing, certificate) over every page, skipping bad findings', async () => {
    // Act
    const summary = await handler()(snsEvent(notification), lambdaContext('fanout'));
    // Assess
    expect(summary).toEqual({ started: 4, alreadyStarted: 0, skipped: 2, transientFailures: 0 });
    const starts = sfnMock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(starts.map((s) => s.name)).toEqual([
      executionName('sensor-1', cert('1')),
      executionName('sensor-2a', cert('2')),
      executionName('sensor-2b', cert('2')),
      executionName('sensor:4', cert('4')),
    ]);
    expect(starts.every((s) => s.stateMachineArn === STATE_MACHINE)).toBe(true);
    expect(JSON.parse(starts[0]?.input ?? '{}')).toEqual({
      thingName: 'sensor-1',
      oldCertificateId: cert('1'),
      campaign: 'a1b2c3d4',
    });
    // The compliant age check was not queried.
    expect(
      iotMock
        .commandCalls(ListAuditFindingsCommand)
        .every((c) => c.args[0].input.checkName !== 'DEVICE_CERTIFICATE_AGE_CHECK'),
    ).toBe(true);
  });

  it('starts nothing new when the same notification is delivered again (invariant 8)', async () => {
    sfnMock
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error('exists'), { name: 'ExecutionAlreadyExists' }));
    const summary = await handler()(snsEvent(notification), lambdaContext('fanout'));
    expect(summary).toMatchObject({ started: 0, alreadyStarted: 4 });
  });

  it('finishes the other findings, then fails so the notification is retried, when starts are throttled', async () => {
    sfnMock
      .on(StartExecutionCommand)
      .rejectsOnce(Object.assign(new Error('slow'), { name: 'ThrottlingException' }))
      .resolves({ executionArn: 'arn', startDate: new Date() });
    await expect(handler()(snsEvent(notification), lambdaContext('fanout'))).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(4);
  });

  it('ignores an audit that did not complete and a message that is no audit notification', async () => {
    await handler()(snsEvent({ ...notification, taskStatus: 'FAILED' }), lambdaContext('fanout'));
    await handler()(snsEvent('hello'), lambdaContext('fanout'));
    expect(iotMock.calls()).toHaveLength(0);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('rejects an event that is not SNS, naming what it needs', async () => {
    await expect(handler()({ hello: 1 }, lambdaContext('fanout'))).rejects.toMatchObject({
      name: 'InvalidStepInput',
      message: expect.stringContaining('Records'),
    });
  });
});
