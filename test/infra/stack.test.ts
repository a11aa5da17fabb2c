import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { REJECTED_REPLY_METRIC } from '../../infra/constructs/monitoring.ts';
import {
  DEPLOYED_FUNCTION_IDS,
  type DeployedFunctionId,
  functionSpec,
  LAMBDA_RESERVED_ENV,
} from '../../infra/constructs/workflow-functions.ts';
import { STACK_OUTPUTS } from '../../infra/stack.ts';
import { CAMPAIGN_STATE_MACHINE } from '../../workflows/campaign/contract.ts';
import {
  FUNCTION_IDS,
  type FunctionId,
  PLACEHOLDERS,
  placeholdersIn,
  renderDefinition,
  STATE_MACHINE,
  TOPIC_RULES,
} from '../../workflows/rotate-device/contract.ts';
import { THING_NAME_VARIABLE } from '../../workflows/rotate-device/device-policy.ts';
import {
  CDK_STATE_MACHINE_STATEMENTS,
  cfnArn,
  functionLogicalIds,
  getAtt,
  logicalId,
  ref,
  statementsOfRole,
  useSynthesis,
} from './helpers/synth.ts';

const s = useSynthesis();
let ids: {
  table: string;
  campaignTable: string;
  functions: Record<DeployedFunctionId, string>;
  roles: Record<DeployedFunctionId, string>;
  logGroups: Record<DeployedFunctionId, string>;
  escalationTopic: string;
  auditTopic: string;
  key: string;
  stateMachine: string;
};

beforeAll(() => {
  ids = {
    table: logicalId(s.stack.table.table),
    campaignTable: logicalId(s.stack.campaignTable.table),
    ...functionLogicalIds(s, DEPLOYED_FUNCTION_IDS),
    escalationTopic: logicalId(s.stack.topics.escalationTopic),
    auditTopic: logicalId(s.stack.topics.auditTopic),
    key: logicalId(s.stack.topics.key),
    stateMachine: logicalId(s.stack.rotation.stateMachine),
  };
}, 180_000);

const STATE_MACHINE_ARN = cfnArn('states', `stateMachine:${STATE_MACHINE.name}`);
const CAMPAIGN_STATE_MACHINE_ARN = cfnArn('states', `stateMachine:${CAMPAIGN_STATE_MACHINE.name}`);
describe('function roles', () => {
  // What each role may do is compared statement by statement with the contract in
  // identity-policies.test.ts.
  it('every role is assumable by Lambda only and carries no managed policy', () => {
    for (const fid of DEPLOYED_FUNCTION_IDS) {
      const role = s.template.findResources('AWS::IAM::Role')[ids.roles[fid]];
      expect(role?.Properties.AssumeRolePolicyDocument.Statement).toEqual([
        { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'lambda.amazonaws.com' } },
      ]);
      expect(role?.Properties.ManagedPolicyArns).toBeUndefined();
    }
  });
});

describe('functions', () => {
  it.each(
    DEPLOYED_FUNCTION_IDS,
  )('%s: Node.js 22 on arm64, traced, with the environment its spec lists', (fid) => {
    // Prepare
    const spec = functionSpec(fid);
    const fn = s.template.findResources('AWS::Lambda::Function')[ids.functions[fid]];

    // Act
    const props = fn?.Properties;
    const env: Record<string, unknown> = props.Environment.Variables;

    // Assess
    expect(props).toMatchObject({
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      Timeout: spec.timeoutSeconds,
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: ref(ids.logGroups[fid]) },
      Role: getAtt(ids.roles[fid]),
    });
    expect(env).toMatchObject({
      POWERTOOLS_SERVICE_NAME: 'recert',
      POWERTOOLS_METRICS_NAMESPACE: 'recert',
      POWERTOOLS_LOG_LEVEL: 'INFO',
    });
    for (const variable of spec.environment) {
      if (variable.source === 'lambdaRuntime' || LAMBDA_RESERVED_ENV.has(variable.name)) {
        // The runtime sets it; Lambda refuses a configuration that does.
        expect(env[variable.name], variable.name).toBeUndefined();
        continue;
      }
      const expected = {
        rotationTable: ref(ids.table),
        campaignTable: ref(ids.campaignTable),
        stateMachine: STATE_MACHINE_ARN,
        campaignStateMachine: CAMPAIGN_STATE_MACHINE_ARN,
        escalationTopic: ref(ids.escalationTopic),
        iotDataEndpoint: {
          'Fn::Join': [
            '',
            [
              'https://',
              getAtt(Object.keys(s.template.findResources('Custom::AWS'))[0] ?? '', 'endpointAddress'),
            ],
          ],
        },
        setting: variable.default,
      }[variable.source];
      expect(env[variable.name], variable.name).toEqual(expected);
    }
  });

  it('the state machine ARN the functions get is the one of the state machine deployed', () => {
    s.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: STATE_MACHINE.name,
    });
  });

  it('looks the IoT data endpoint up at deploy time with DescribeEndpoint iot:Data-ATS', () => {
    const lookup = s.template.findResources('Custom::AWS');
    const create = JSON.stringify(Object.values(lookup)[0]?.Properties.Create);
    expect(create).toContain('\\"action\\":\\"describeEndpoint\\"');
    expect(create).toContain('\\"endpointType\\":\\"iot:Data-ATS\\"');
    s.template.hasResourceProperties('AWS::IAM::Policy', {
      PolicyDocument: { Statement: [{ Action: 'iot:DescribeEndpoint', Effect: 'Allow', Resource: '*' }] },
    });
  });
});

describe('state machine', () => {
  it('is Standard, logs ALL events without execution data, traces with X-Ray', () => {
    s.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineType: 'STANDARD',
      RoleArn: getAtt(logicalId(s.stack.rotation.role)),
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [
          { CloudWatchLogsLogGroup: { LogGroupArn: getAtt(logicalId(s.stack.rotation.logGroup)) } },
        ],
      },
    });
  });

  it('binds every placeholder left in the definition file, and CloudFormation then renders what the local run renders', () => {
    // Prepare
    const sm = s.template.findResources('AWS::StepFunctions::StateMachine')[ids.stateMachine]?.Properties;
    const assetPath = join(s.outdir, `asset.${sm.DefinitionS3Location.Key}`);
    const baked = readFileSync(assetPath, 'utf8');
    const substitutions: Record<string, unknown> = sm.DefinitionSubstitutions;
    const fakeArn = (fid: FunctionId) => `arn:aws:lambda:eu-west-1:111122223333:function:${fid}`;

    // Act: what CloudFormation does with DefinitionSubstitutions, with the tokens resolved.
    const values = new Map<string, string>();
    for (const [name, binding] of Object.entries(PLACEHOLDERS)) {
      if (binding.kind === 'function') {
        expect(substitutions[name], name).toEqual(getAtt(ids.functions[binding.functionId]));
        values.set(name, fakeArn(binding.functionId));
      } else if (binding.kind === 'table') {
        expect(substitutions[name], name).toEqual(ref(ids.table));
        values.set(name, 'recert-rotations');
      }
    }
    const deployed = baked.replace(
      /\$\{([A-Za-z0-9_]+)\}/g,
      (whole, name: string) => values.get(name) ?? whole,
    );

    // Assess
    expect(placeholdersIn(baked).sort()).toEqual(Object.keys(substitutions).sort());
    expect(deployed).not.toContain('${');
    const local = renderDefinition({
      functionArns: Object.fromEntries(FUNCTION_IDS.map((fid) => [fid, fakeArn(fid)])),
      tableName: 'recert-rotations',
    });
    expect(JSON.parse(deployed)).toEqual(JSON.parse(local));
  });

  it('its role invokes exactly the task functions (unqualified, as the tasks name them) and UpdateItem on the table', () => {
    const taskFunctions = [
      'issue-certificate',
      'request-csr',
      'retire-certificate',
      'revoke-certificate',
    ] as const;
    expect(statementsOfRole(s.template, logicalId(s.stack.rotation.role))).toEqual([
      // CDK's own, for logging and tracing.
      ...CDK_STATE_MACHINE_STATEMENTS,
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: taskFunctions.map((fid) => getAtt(ids.functions[fid])),
      },
      { Action: 'dynamodb:UpdateItem', Effect: 'Allow', Resource: getAtt(ids.table) },
    ]);
  });
});

describe('rotation table', () => {
  it('is on demand, recoverable, expiring, indexed by status and retained', () => {
    s.template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [{ AttributeName: 'thingName', KeyType: 'HASH' }],
        AttributeDefinitions: Match.arrayEquals([
          { AttributeName: 'thingName', AttributeType: 'S' },
          { AttributeName: 'status', AttributeType: 'S' },
          { AttributeName: 'statusSince', AttributeType: 'S' },
        ]),
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        // Written only when a status changes (statusSince), ~100 bytes an entry (campaign alone).
        GlobalSecondaryIndexes: [
          {
            IndexName: 'byStatus',
            KeySchema: [
              { AttributeName: 'status', KeyType: 'HASH' },
              { AttributeName: 'statusSince', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['campaign'] },
          },
        ],
        Replicas: [
          Match.objectLike({
            DeletionProtectionEnabled: true,
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          }),
        ],
      }),
    });
  });
});

describe('IoT topic rules', () => {
  it.each(
    TOPIC_RULES.map((r) => [r.name, r] as const),
  )('%s: the contract SQL, a Lambda action and an error action', (_, rule) => {
    // Prepare
    const target = ids.functions[rule.targetFunctionId];
    const errors = s.stack.topicRules;

    // Assess
    s.template.hasResourceProperties('AWS::IoT::TopicRule', {
      RuleName: rule.name,
      TopicRulePayload: {
        Sql: rule.sql,
        AwsIotSqlVersion: '2016-03-23',
        RuleDisabled: false,
        Actions: [{ Lambda: { FunctionArn: getAtt(target) } }],
        ErrorAction: {
          CloudwatchLogs: {
            LogGroupName: ref(logicalId(errors.errorLogGroup)),
            RoleArn: getAtt(logicalId(errors.errorRole)),
          },
        },
      },
    });
    const ruleId = logicalId(errors.rules.find((r) => r.ruleName === rule.name) ?? errors);
    s.template.hasResourceProperties('AWS::Lambda::Permission', {
      Action: 'lambda:InvokeFunction',
      FunctionName: getAtt(target),
      Principal: 'iot.amazonaws.com',
      SourceArn: getAtt(ruleId),
      SourceAccount: ref('AWS::AccountId'),
    });
  });

  it('the error action role may only write to the error log group', () => {
    expect(statementsOfRole(s.template, logicalId(s.stack.topicRules.errorRole))).toEqual([
      {
        Action: ['logs:CreateLogStream', 'logs:DescribeLogStreams', 'logs:PutLogEvents'],
        Effect: 'Allow',
        Resource: getAtt(logicalId(s.stack.topicRules.errorLogGroup)),
      },
    ]);
  });
});

describe('Device Defender audit', () => {
  it("enables the expiring and age checks with their thresholds through recert's share of the configuration", () => {
    // A custom resource, not AWS::IoT::AccountAuditConfiguration (audit-configuration*.test.ts test it).
    expect(s.template.findResources('AWS::IoT::AccountAuditConfiguration')).toEqual({});
    s.template.hasResourceProperties('Custom::RecertAuditConfiguration', {
      Checks: {
        DEVICE_CERTIFICATE_EXPIRING_CHECK: { CERT_EXPIRATION_THRESHOLD_IN_DAYS: '30' },
        DEVICE_CERTIFICATE_AGE_CHECK: { CERT_AGE_THRESHOLD_IN_DAYS: '365' },
      },
      AuditRoleArn: getAtt(logicalId(s.stack.audit.auditRole)),
      TopicArn: ref(ids.auditTopic),
      NotificationRoleArn: getAtt(logicalId(s.stack.audit.notificationRole)),
    });
  });

  it('runs a daily scheduled audit of those checks, after the configuration exists', () => {
    s.template.hasResource('AWS::IoT::ScheduledAudit', {
      Properties: {
        Frequency: 'DAILY',
        ScheduledAuditName: 'recert-daily-certificate-audit',
        TargetCheckNames: ['DEVICE_CERTIFICATE_EXPIRING_CHECK', 'DEVICE_CERTIFICATE_AGE_CHECK'],
      },
      DependsOn: Match.arrayWith([logicalId(s.stack.audit.configuration)]),
    });
  });

  it('audits with the AWS managed audit policy and notifies with sns:Publish on the audit topic only', () => {
    const roles = s.template.findResources('AWS::IAM::Role');
    const auditRole = roles[logicalId(s.stack.audit.auditRole)]?.Properties;
    expect(auditRole.ManagedPolicyArns).toEqual([
      {
        'Fn::Join': [
          '',
          ['arn:', ref('AWS::Partition'), ':iam::aws:policy/service-role/AWSIoTDeviceDefenderAudit'],
        ],
      },
    ]);
    expect(auditRole.AssumeRolePolicyDocument.Statement).toEqual([
      {
        Action: 'sts:AssumeRole',
        Condition: { StringEquals: { 'aws:SourceAccount': ref('AWS::AccountId') } },
        Effect: 'Allow',
        Principal: { Service: 'iot.amazonaws.com' },
      },
    ]);
    expect(statementsOfRole(s.template, logicalId(s.stack.audit.notificationRole))).toEqual([
      { Action: 'sns:Publish', Effect: 'Allow', Resource: ref(ids.auditTopic) },
      { Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: getAtt(ids.key) },
    ]);
  });

  it('the audit topic is encrypted and refuses plain HTTP; the fan-out listens to the topic in use', () => {
    s.template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: getAtt(ids.key) });
    s.template.hasResourceProperties('AWS::SNS::TopicPolicy', {
      Topics: [ref(ids.auditTopic)],
      PolicyDocument: {
        Statement: Match.arrayWith([
          Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
        ]),
      },
    });
    s.template.hasResourceProperties('AWS::SNS::Subscription', {
      Protocol: 'lambda',
      TopicArn: getAtt(logicalId(s.stack.audit.configuration), 'TopicArn'),
      Endpoint: getAtt(ids.functions['audit-fanout']),
    });
  });
});

describe('outcomes', () => {
  it("sends this state machine's status changes (the contract pattern) to the outcome recorder", () => {
    s.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: {
        source: ['aws.states'],
        'detail-type': ['Step Functions Execution Status Change'],
        detail: {
          status: [...STATE_MACHINE.statusChangeEventPattern.detail.status],
          stateMachineArn: [ref(ids.stateMachine)],
        },
      },
      Targets: [Match.objectLike({ Arn: getAtt(ids.functions['outcome-recorder']) })],
    });
  });

  it('alarms on failed rotations, rejected replies and throttling, to the escalation topic', () => {
    const alarms = Object.values(s.template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    const byDescription = (text: RegExp) => alarms.find((a) => text.test(a.AlarmDescription));
    const failed = byDescription(/FAILED, TIMED_OUT or ABORTED/);
    expect(
      failed?.Metrics.map(
        (m: { MetricStat?: { Metric: { MetricName: string } } }) => m.MetricStat?.Metric.MetricName,
      ),
    ).toEqual([undefined, 'ExecutionsFailed', 'ExecutionsTimedOut', 'ExecutionsAborted']);
    const rejected = byDescription(/device replies were dropped/);
    const reasons = rejected?.Metrics.flatMap(
      (m: {
        MetricStat?: { Metric: { MetricName: string; Dimensions: { Name: string; Value: string }[] } };
      }) => (m.MetricStat ? [m.MetricStat.Metric] : []),
    );
    expect(reasons.map((m: { MetricName: string }) => m.MetricName)).toEqual(
      REJECTED_REPLY_METRIC.alarmReasons.map(() => 'ReplyRejected'),
    );
    expect(reasons.map((m: { Dimensions: unknown }) => m.Dimensions)).toEqual(
      REJECTED_REPLY_METRIC.alarmReasons.map((reason) => [
        { Name: 'function', Value: 'device-reply' },
        { Name: 'reason', Value: reason },
        { Name: 'service', Value: 'recert' },
      ]),
    );
    expect(REJECTED_REPLY_METRIC.alarmReasons).not.toContain('duplicate');
    expect(rejected?.Threshold).toBe(20);
    expect(byDescription(/functions were throttled/)?.Metrics).toHaveLength(FUNCTION_IDS.length + 1);
    expect(byDescription(/throttled state transitions/)).toMatchObject({ MetricName: 'ExecutionThrottled' });
    for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([ref(ids.escalationTopic)]);
  });
});

describe('device policy', () => {
  it('is the least-privilege document, with the IoT policy variable kept literally', () => {
    const policy = s.template.findResources('AWS::IoT::Policy');
    const doc = Object.values(policy)[0]?.Properties.PolicyDocument;
    expect(Object.values(policy)[0]?.Properties.PolicyName).toBe('recert-device');
    expect(doc.Statement[0]).toEqual({
      Effect: 'Allow',
      Action: 'iot:Connect',
      Resource: [cfnArn('iot', `client/\${iot:Connection.Thing.ThingName}`)],
      Condition: { Bool: { 'iot:Connection.Thing.IsAttached': 'true' } },
    });
    expect(doc.Statement[1]).toEqual({
      Effect: 'Allow',
      Action: 'iot:Publish',
      Resource: ['csr_res', 'crt_ack', 'crt_err'].map((k) =>
        cfnArn('iot', `topic/management/topic/\${iot:Connection.Thing.ThingName}/${k}`),
      ),
    });
  });
});

describe('the template as a whole', () => {
  it('has no unacknowledged cdk-nag AwsSolutions finding, error or warning', () => {
    expect(s.findings).toEqual([]);
  });

  it("passes CDK's CloudFormation schema validation", () => {
    // The one acknowledged warning (W3664): the fan-out's SNS permission names the topic ARN the
    // audit configuration's custom resource reports, which the linter cannot tell is a topic.
    const reports = s.validationReports as {
      violations: unknown[];
      suppressedViolations?: { ruleName: string }[];
    }[];
    expect(reports.flatMap((r) => r.violations)).toEqual([]);
    expect(reports.flatMap((r) => r.suppressedViolations ?? []).map((v) => v.ruleName)).toEqual(['W3664']);
  });

  it('leaves no placeholder anywhere but in Fn::Sub and the IoT policy variable', () => {
    // Prepare
    const left: string[] = [];
    const walk = (value: unknown, inSub: boolean): void => {
      if (typeof value === 'string') {
        const stripped = value.split(THING_NAME_VARIABLE).join('');
        if (!inSub && stripped.includes('${')) left.push(value);
      } else if (Array.isArray(value)) {
        for (const item of value) walk(item, inSub);
      } else if (value !== null && typeof value === 'object') {
        for (const [key, item] of Object.entries(value)) walk(item, inSub || key === 'Fn::Sub');
      }
    };

    // Act
    walk(s.template.toJSON(), false);

    // Assess
    expect(left).toEqual([]);
  });

  it('hard-codes no account id or region', () => {
    const text = JSON.stringify(s.template.toJSON());
    expect(text).not.toMatch(/\b\d{12}\b/);
    expect(text).not.toMatch(
      /\b(us|eu|ap|sa|ca|me|af)-(east|west|north|south|central|southeast|northeast)-\d\b/,
    );
  });

  it('outputs what the recert CLI reads', () => {
    s.template.hasOutput(STACK_OUTPUTS.stateMachineArn, { Value: ref(ids.stateMachine) });
    s.template.hasOutput(STACK_OUTPUTS.tableName, { Value: ref(ids.table) });
    s.template.hasOutput(STACK_OUTPUTS.escalationTopicArn, { Value: ref(ids.escalationTopic) });
    s.template.hasOutput(STACK_OUTPUTS.auditTopicArn, {
      Value: getAtt(logicalId(s.stack.audit.configuration), 'TopicArn'),
    });
    s.template.hasOutput(STACK_OUTPUTS.region, { Value: ref('AWS::Region') });
    s.template.hasOutput(STACK_OUTPUTS.campaignTableName, { Value: ref(ids.campaignTable) });
    s.template.hasOutput(STACK_OUTPUTS.campaignStateMachineArn, {
      Value: ref(logicalId(s.stack.campaign.stateMachine)),
    });
  });

  it('wrote the baked definition where the asset was staged from', () => {
    for (const file of ['recert-rotate-device.asl.json', 'recert-campaign.asl.json']) {
      expect(existsSync(join(s.outdir, 'recert-definitions', 'Recert', file)), file).toBe(true);
    }
  });
});
