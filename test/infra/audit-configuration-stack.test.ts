import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { STACK_OUTPUTS } from '../../infra/stack.ts';
import { logicalId, statementsOfRole, useSynthesis } from './helpers/synth.ts';

// One synthesis for the file: the age check only, with its own threshold.
const s = useSynthesis(
  {
    'recert:iotDataEndpoint': 'a1b2c3-ats.iot.eu-west-1.amazonaws.com',
    'recert:auditChecks': 'DEVICE_CERTIFICATE_AGE_CHECK',
    'recert:auditAgeThresholdDays': '180',
  },
  { validate: false },
);
let configurationId: string;
const topicAttribute = () => ({ 'Fn::GetAtt': [configurationId, 'TopicArn'] });

beforeAll(() => {
  configurationId = logicalId(s.stack.audit.configuration);
}, 120_000);

describe("the account's audit configuration", () => {
  it('is not an AWS::IoT::AccountAuditConfiguration, which would take over the whole configuration', () => {
    expect(s.template.findResources('AWS::IoT::AccountAuditConfiguration')).toEqual({});
  });

  it("is a custom resource given only recert's checks, its roles and its topic", () => {
    s.template.hasResourceProperties('Custom::RecertAuditConfiguration', {
      Checks: { DEVICE_CERTIFICATE_AGE_CHECK: { CERT_AGE_THRESHOLD_IN_DAYS: '180' } },
      AuditRoleArn: { 'Fn::GetAtt': [logicalId(s.stack.audit.auditRole), 'Arn'] },
      TopicArn: { Ref: logicalId(s.stack.topics.auditTopic) },
      NotificationRoleArn: { 'Fn::GetAtt': [logicalId(s.stack.audit.notificationRole), 'Arn'] },
    });
  });

  it('is set before the scheduled audit of the same checks', () => {
    s.template.hasResource('AWS::IoT::ScheduledAudit', {
      Properties: { TargetCheckNames: ['DEVICE_CERTIFICATE_AGE_CHECK'] },
      DependsOn: Match.arrayWith([configurationId]),
    });
  });
});

describe('the fan-out subscription', () => {
  const fanout = () => logicalId(s.stack.workflowFunctions.functions['audit-fanout']);

  it("subscribes the fan-out to the topic the custom resource reports in use, in that topic's region", () => {
    const subscriptions = Object.values(s.template.findResources('AWS::SNS::Subscription'));
    expect(subscriptions).toHaveLength(1);
    expect(subscriptions[0]?.Properties).toEqual({
      Protocol: 'lambda',
      TopicArn: topicAttribute(),
      Endpoint: { 'Fn::GetAtt': [fanout(), 'Arn'] },
      Region: { 'Fn::Select': [3, { 'Fn::Split': [':', topicAttribute()] }] },
    });
  });

  it('lets SNS invoke the fan-out only from that topic', () => {
    const permissions = Object.values(s.template.findResources('AWS::Lambda::Permission')).filter(
      (p) => p.Properties.Principal === 'sns.amazonaws.com',
    );
    expect(permissions.map((p) => p.Properties)).toEqual([
      {
        Action: 'lambda:InvokeFunction',
        FunctionName: { 'Fn::GetAtt': [fanout(), 'Arn'] },
        Principal: 'sns.amazonaws.com',
        SourceArn: topicAttribute(),
      },
    ]);
  });

  it('outputs the topic in use as the audit topic', () => {
    s.template.hasOutput(STACK_OUTPUTS.auditTopicArn, { Value: topicAttribute() });
  });
});

describe("the custom resource's handler", () => {
  const handlerRole = () => logicalId(s.stack.audit.accountConfiguration.handlerRole);

  it('may read and change the audit configuration, pass only the two audit roles to IoT, and read its stack', () => {
    const statements = statementsOfRole(s.template, handlerRole());
    expect(statements).toEqual(
      expect.arrayContaining([
        {
          Action: [
            'iot:DescribeAccountAuditConfiguration',
            'iot:UpdateAccountAuditConfiguration',
            'iot:DeleteAccountAuditConfiguration',
            'iot:ListScheduledAudits',
          ],
          Effect: 'Allow',
          Resource: '*',
        },
        {
          Action: 'iam:PassRole',
          Condition: { StringEquals: { 'iam:PassedToService': 'iot.amazonaws.com' } },
          Effect: 'Allow',
          Resource: [
            { 'Fn::GetAtt': [logicalId(s.stack.audit.auditRole), 'Arn'] },
            { 'Fn::GetAtt': [logicalId(s.stack.audit.notificationRole), 'Arn'] },
          ],
        },
        { Action: 'cloudformation:DescribeStacks', Effect: 'Allow', Resource: { Ref: 'AWS::StackId' } },
      ]),
    );
    expect(statements).toHaveLength(5);
  });

  it('leaves no cdk-nag finding unacknowledged', () => {
    expect(s.findings).toEqual([]);
  });
});
