import { SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createHandler } from '../../functions/event-triggered/audit-fanout/handler.ts';
import { CampaignInput } from '../../workflows/campaign/types.ts';
import { lambdaContext } from './harness.ts';

const sfn = new SFNClient({ region: 'us-east-1' });
const sfnMock = mockClient(sfn);
const CAMPAIGN_SM = 'arn:aws:states:us-east-1:123456789012:stateMachine:recert-campaign';
const PACING = {
  startsPerSecond: 3,
  maxInFlight: 40,
  failureRateThreshold: 0.2,
  minFinishedForFailureRate: 10,
};

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
  createHandler({ sfn, campaignStateMachineArn: CAMPAIGN_SM, pacing: PACING, logLevel: 'SILENT' });

beforeEach(() => {
  sfnMock.reset();
  sfnMock.on(StartExecutionCommand).resolves({ executionArn: 'arn', startDate: new Date() });
});

describe('audit-fanout', () => {
  it('starts one campaign per audit task, named from it, for the checks that found something', async () => {
    // Act
    const summary = await handler()(snsEvent(notification), lambdaContext('fanout'));
    // Assess
    expect(summary).toEqual({
      campaignsStarted: ['audit-a1b2c3d4'],
      campaignsAlreadyStarted: [],
      ignored: 0,
    });
    const starts = sfnMock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(starts).toHaveLength(1);
    expect(starts[0]).toMatchObject({ stateMachineArn: CAMPAIGN_SM, name: 'audit-a1b2c3d4' });
    const input = CampaignInput.parse(JSON.parse(starts[0]?.input ?? '{}'));
    expect(input).toEqual({
      campaignId: 'audit-a1b2c3d4',
      source: { kind: 'audit', taskId: 'a1b2c3d4', checkNames: ['DEVICE_CERTIFICATE_EXPIRING_CHECK'] },
      pacing: PACING,
    });
  });

  it('starts nothing new when the same notification is delivered again (invariant 8)', async () => {
    // Prepare
    sfnMock
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error('exists'), { name: 'ExecutionAlreadyExists' }));
    // Act
    const summary = await handler()(snsEvent(notification), lambdaContext('fanout'));
    // Assess
    expect(summary).toMatchObject({ campaignsStarted: [], campaignsAlreadyStarted: ['audit-a1b2c3d4'] });
  });

  it('fails so the notification is retried when the start is throttled', async () => {
    // Prepare
    sfnMock
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error('slow'), { name: 'ThrottlingException' }));
    // Act / Assess
    await expect(handler()(snsEvent(notification), lambdaContext('fanout'))).rejects.toMatchObject({
      name: 'TransientAwsError',
    });
  });

  it('derives the pacing from the quotas when none is given', async () => {
    // Act
    await createHandler({ sfn, campaignStateMachineArn: CAMPAIGN_SM, logLevel: 'SILENT' })(
      snsEvent(notification),
      lambdaContext('fanout'),
    );
    // Assess: one of the 10 TPS IoT APIs limits, with the default headroom
    const input = CampaignInput.parse(
      JSON.parse(sfnMock.commandCalls(StartExecutionCommand)[0]?.args[0].input.input ?? '{}'),
    );
    expect(input.pacing.startsPerSecond).toBeGreaterThan(0);
    expect(input.pacing.startsPerSecond).toBeLessThanOrEqual(9.5);
  });

  it('starts no campaign for an audit that did not complete, found nothing, or a message that is no audit notification', async () => {
    // Act
    const summaries = [
      await handler()(snsEvent({ ...notification, taskStatus: 'FAILED' }), lambdaContext('fanout')),
      await handler()(
        snsEvent({
          ...notification,
          auditDetails: [{ checkName: 'DEVICE_CERTIFICATE_EXPIRING_CHECK', nonCompliantResourcesCount: 0 }],
        }),
        lambdaContext('fanout'),
      ),
      await handler()(snsEvent('hello'), lambdaContext('fanout')),
    ];
    // Assess
    expect(summaries.map((s) => s.ignored)).toEqual([1, 1, 1]);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('rejects an event that is not SNS, naming what it needs', async () => {
    await expect(handler()({ hello: 1 }, lambdaContext('fanout'))).rejects.toMatchObject({
      name: 'InvalidStepInput',
      message: expect.stringContaining('Records'),
    });
  });
});
