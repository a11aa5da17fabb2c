/** Hand-worked Step Functions, SNS, EventBridge and ACM PCA authorizations. */
import { describe, expect, it } from 'vitest';
import {
  isLocalOnlyStatesTarget,
  OperationInputError,
  requiredPermissions,
  UnknownOperationError,
} from '../../../local/iam/operations/index.ts';

const SCOPE = { partition: 'aws', region: 'eu-west-1', accountId: '123456789012' } as const;
const MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:recert-rotate';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:recert-rotate:dev-1-r3';

describe('Step Functions operations', () => {
  it('StartExecution is on the state machine; an execution call on the execution', () => {
    // Act
    const start = requiredPermissions(
      'states',
      'StartExecution',
      { stateMachineArn: MACHINE, input: '{}' },
      SCOPE,
    );
    const describeIt = requiredPermissions('states', 'DescribeExecution', { executionArn: EXECUTION }, SCOPE);
    const redrive = requiredPermissions(
      'states',
      'AWSStepFunctions.RedriveExecution',
      { executionArn: EXECUTION },
      SCOPE,
    );
    // Assess
    expect(start).toEqual([{ action: 'states:StartExecution', resource: MACHINE, context: {} }]);
    expect(describeIt).toEqual([{ action: 'states:DescribeExecution', resource: EXECUTION, context: {} }]);
    expect(redrive).toEqual([{ action: 'states:RedriveExecution', resource: EXECUTION, context: {} }]);
  });

  it('SendTaskSuccess names no resource: *', () => {
    // Act
    const requests = requiredPermissions(
      'states',
      'SendTaskSuccess',
      { taskToken: 't', output: '{}' },
      SCOPE,
    );
    // Assess
    expect(requests).toEqual([{ action: 'states:SendTaskSuccess', resource: '*', context: {} }]);
  });

  it('CreateStateMachine is on the ARN its name will have, and passes its role to states', () => {
    // Prepare
    const role = 'arn:aws:iam::123456789012:role/recert-sfn';
    // Act
    const requests = requiredPermissions(
      'states',
      'CreateStateMachine',
      { name: 'recert-rotate', definition: '{}', roleArn: role },
      SCOPE,
    );
    // Assess
    expect(requests).toEqual([
      { action: 'states:CreateStateMachine', resource: MACHINE, context: {} },
      { action: 'iam:PassRole', resource: role, context: { 'iam:PassedToService': 'states.amazonaws.com' } },
    ]);
  });

  it('the local-only RecertLocal targets are not AWS operations', () => {
    // Act / Assess
    expect(isLocalOnlyStatesTarget('RecertLocal.GetBilling')).toBe(true);
    expect(isLocalOnlyStatesTarget('AWSStepFunctions.StartExecution')).toBe(false);
    expect(() => requiredPermissions('states', 'RecertLocal.GetBilling', {}, SCOPE)).toThrow(
      UnknownOperationError,
    );
  });

  it('StartExecution without a state machine is an OperationInputError', () => {
    // Act / Assess
    expect(() => requiredPermissions('states', 'StartExecution', {}, SCOPE)).toThrow(OperationInputError);
  });
});

describe('SNS, EventBridge and ACM PCA operations', () => {
  it('SNS Publish is on the topic; Unsubscribe on the subscription topic; Subscribe carries protocol and endpoint', () => {
    // Prepare
    const topic = 'arn:aws:sns:eu-west-1:123456789012:recert-escalations';
    const form = new URLSearchParams({
      TopicArn: topic,
      Message: 'm',
      Protocol: 'sqs',
      Endpoint: 'arn:aws:sqs:x',
    });
    // Act
    const publish = requiredPermissions('sns', 'Publish', form, SCOPE);
    const unsubscribe = requiredPermissions(
      'sns',
      'Unsubscribe',
      { SubscriptionArn: `${topic}:0b8d` },
      SCOPE,
    );
    const subscribe = requiredPermissions('sns', 'Subscribe', form, SCOPE);
    // Assess
    expect(publish).toEqual([{ action: 'sns:Publish', resource: topic, context: {} }]);
    expect(unsubscribe).toEqual([{ action: 'sns:Unsubscribe', resource: topic, context: {} }]);
    expect(subscribe[0]?.context).toEqual({ 'sns:Protocol': 'sqs', 'sns:Endpoint': 'arn:aws:sqs:x' });
  });

  it('PutEvents authorizes each entry on its own bus; PutTargets is on the rule of a custom bus', () => {
    // Prepare
    const entries = [
      { Source: 'recert', DetailType: 'Parked', Detail: '{}' },
      { Source: 'recert', DetailType: 'Parked', Detail: '{}', EventBusName: 'fleet' },
    ];
    const target = 'arn:aws:lambda:eu-west-1:123456789012:function:sweep';
    // Act
    const put = requiredPermissions('events', 'AWSEvents.PutEvents', { Entries: entries }, SCOPE);
    const targets = requiredPermissions(
      'events',
      'PutTargets',
      { Rule: 'sweep', EventBusName: 'fleet', Targets: [{ Id: '1', Arn: target }] },
      SCOPE,
    );
    // Assess
    const context = { 'events:source': 'recert', 'events:detail-type': 'Parked' };
    expect(put).toEqual([
      {
        action: 'events:PutEvents',
        resource: 'arn:aws:events:eu-west-1:123456789012:event-bus/default',
        context,
      },
      {
        action: 'events:PutEvents',
        resource: 'arn:aws:events:eu-west-1:123456789012:event-bus/fleet',
        context,
      },
    ]);
    expect(targets).toEqual([
      {
        action: 'events:PutTargets',
        resource: 'arn:aws:events:eu-west-1:123456789012:rule/fleet/sweep',
        context: { 'events:TargetArn': target },
      },
    ]);
  });

  it('IssueCertificate is on the CA, with the default template when none is named', () => {
    // Prepare
    const ca = 'arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/0f6c5a3e';
    // Act
    const requests = requiredPermissions(
      'acm-pca',
      'IssueCertificate',
      { CertificateAuthorityArn: ca },
      SCOPE,
    );
    // Assess
    expect(requests).toEqual([
      {
        action: 'acm-pca:IssueCertificate',
        resource: ca,
        context: { 'acm-pca:TemplateArn': 'arn:aws:acm-pca:::template/EndEntityCertificate/V1' },
      },
    ]);
  });
});
