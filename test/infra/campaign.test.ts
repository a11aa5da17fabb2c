import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { PACING_ENV } from '../../infra/constructs/workflow-functions.ts';
import {
  CAMPAIGN_FUNCTION_IDS,
  CAMPAIGN_PLACEHOLDERS,
  CAMPAIGN_STATE_MACHINE,
  type CampaignFunctionId,
  renderCampaignDefinition,
} from '../../workflows/campaign/contract.ts';
import { FUNCTIONS, type FunctionId } from '../../workflows/rotate-device/contract.ts';
import {
  CDK_STATE_MACHINE_STATEMENTS,
  cfnArn,
  functionBaseStatements,
  functionLogicalIds,
  functionStatements,
  getAtt,
  logicalId,
  REMOVE_CERTIFICATE_STATEMENTS,
  ref,
  statementsOfRole,
  useSynthesis,
} from './helpers/synth.ts';

/** The rotation functions whose roles and environment campaigns changed. */
const CHANGED = ['audit-fanout', 'request-csr', 'device-reply', 'outcome-recorder'] as const;
type ChangedFunctionId = (typeof CHANGED)[number];

/** A deployment that raised one quota and tunes its campaigns; everything else is the default. */
const CONTEXT = {
  'recert:pacingStartsPerSecond': '4',
  'recert:pacingFailureRateThreshold': '0.2',
  'recert:pacingQuotas': '{"iot:CreateCertificateFromCsr":50}',
  'recert:pacingHeadroom': '0.8',
  'recert:CampaignTurnsPerExecution': '100',
};

const s = useSynthesis(CONTEXT, { validate: false });
let ids: {
  campaignTable: string;
  rotationTable: string;
  key: string;
  functions: Record<CampaignFunctionId, string>;
  roles: Record<CampaignFunctionId, string>;
  logGroups: Record<CampaignFunctionId, string>;
  stateMachine: string;
  escalationTopic: string;
};

beforeAll(() => {
  ids = {
    campaignTable: logicalId(s.stack.campaignTable.table),
    rotationTable: logicalId(s.stack.table.table),
    key: logicalId(s.stack.topics.key),
    ...functionLogicalIds(s, CAMPAIGN_FUNCTION_IDS),
    stateMachine: logicalId(s.stack.campaign.stateMachine),
    escalationTopic: logicalId(s.stack.topics.escalationTopic),
  };
}, 180_000);

const ROTATION_STATE_MACHINE_ARN = cfnArn('states', 'stateMachine:recert-rotate-device');
const CAMPAIGN_STATE_MACHINE_ARN = cfnArn('states', `stateMachine:${CAMPAIGN_STATE_MACHINE.name}`);
/** The campaign table has no index: grants name the table alone. */
const campaignTable = () => getAtt(ids.campaignTable);
/** A grant of `actions` on the campaign table. */
const onCampaignTable = (actions: string | string[]) => ({
  Action: actions,
  Effect: 'Allow',
  Resource: campaignTable(),
});
/** Functions read and write the rotation table itself, never its index. */
const rotationTable = () => getAtt(ids.rotationTable);
const COUNT_IN_CAMPAIGN = () => onCampaignTable('dynamodb:UpdateItem');
const envOf = (fid: CampaignFunctionId | FunctionId): Record<string, unknown> => {
  const fn = s.stack.workflowFunctions.functions[fid];
  return s.template.findResources('AWS::Lambda::Function')[logicalId(fn)]?.Properties.Environment.Variables;
};

describe('campaign table', () => {
  it('keys a campaign and its ordered queue, on demand, recoverable, expiring, retained', () => {
    s.template.hasResource('AWS::DynamoDB::GlobalTable', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: Match.objectLike({
        BillingMode: 'PAY_PER_REQUEST',
        KeySchema: [
          { AttributeName: 'campaignId', KeyType: 'HASH' },
          { AttributeName: 'entry', KeyType: 'RANGE' },
        ],
        AttributeDefinitions: [
          { AttributeName: 'campaignId', AttributeType: 'S' },
          { AttributeName: 'entry', AttributeType: 'S' },
        ],
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
        Replicas: [
          Match.objectLike({
            DeletionProtectionEnabled: true,
            PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
          }),
        ],
      }),
    });
  });

  it('is encrypted as the rotation table is, and has no index', () => {
    // Prepare
    const tables = s.template.findResources('AWS::DynamoDB::GlobalTable');

    // Act
    const campaign = tables[ids.campaignTable]?.Properties;
    const rotation = tables[ids.rotationTable]?.Properties;

    // Assess
    expect(campaign.SSESpecification).toEqual(rotation.SSESpecification);
    expect(campaign.Replicas[0].SSESpecification).toEqual(rotation.Replicas[0].SSESpecification);
    expect(campaign.GlobalSecondaryIndexes).toBeUndefined();
  });
});

describe('campaign state machine', () => {
  it('is Standard, named from the contract, logs ALL events without execution data, traces with X-Ray', () => {
    s.template.hasResourceProperties('AWS::StepFunctions::StateMachine', {
      StateMachineName: CAMPAIGN_STATE_MACHINE.name,
      StateMachineType: 'STANDARD',
      RoleArn: getAtt(logicalId(s.stack.campaign.role)),
      TracingConfiguration: { Enabled: true },
      LoggingConfiguration: {
        Level: 'ALL',
        IncludeExecutionData: false,
        Destinations: [
          { CloudWatchLogsLogGroup: { LogGroupArn: getAtt(logicalId(s.stack.campaign.logGroup)) } },
        ],
      },
    });
    s.template.hasResource('AWS::Logs::LogGroup', {
      DeletionPolicy: 'Retain',
      Properties: {
        LogGroupName: `/aws/vendedlogs/states/${CAMPAIGN_STATE_MACHINE.name}`,
        RetentionInDays: 90,
      },
    });
  });

  it('binds every placeholder, and CloudFormation then renders what the local run renders with the same settings', () => {
    // Prepare
    const sm = s.template.findResources('AWS::StepFunctions::StateMachine')[ids.stateMachine]?.Properties;
    const baked = readFileSync(join(s.outdir, `asset.${sm.DefinitionS3Location.Key}`), 'utf8');
    const substitutions: Record<string, unknown> = sm.DefinitionSubstitutions;
    const fakeArn = (fid: CampaignFunctionId) => `arn:aws:lambda:eu-west-1:111122223333:function:${fid}`;

    // Act: what CloudFormation does with DefinitionSubstitutions, with the tokens resolved.
    const values = new Map<string, string>();
    for (const [name, binding] of Object.entries(CAMPAIGN_PLACEHOLDERS)) {
      if (binding.kind !== 'function') continue;
      expect(substitutions[name], name).toEqual(getAtt(ids.functions[binding.functionId]));
      values.set(name, fakeArn(binding.functionId));
    }
    const deployed = baked.replace(
      /\$\{([A-Za-z0-9_]+)\}/g,
      (whole, name: string) => values.get(name) ?? whole,
    );

    // Assess
    expect(Object.keys(substitutions).sort()).toEqual([...values.keys()].sort());
    expect(deployed).not.toContain('${');
    const local = renderCampaignDefinition(
      { 'campaign-enqueue': fakeArn('campaign-enqueue'), 'campaign-pacer': fakeArn('campaign-pacer') },
      { campaign: { CampaignTurnsPerExecution: 100 } },
    );
    expect(JSON.parse(deployed)).toEqual(JSON.parse(local));
    expect(deployed).toContain('$turn >= 100');
  });

  it('its role invokes exactly the two campaign functions (unqualified), nothing else of recert', () => {
    expect(statementsOfRole(s.template, logicalId(s.stack.campaign.role))).toEqual([
      // CDK's own, for logging and tracing.
      ...CDK_STATE_MACHINE_STATEMENTS,
      {
        Action: 'lambda:InvokeFunction',
        Effect: 'Allow',
        Resource: (['campaign-enqueue', 'campaign-pacer'] as const).map((fid) => getAtt(ids.functions[fid])),
      },
    ]);
  });

  it('is assumable by Step Functions only', () => {
    const role = s.template.findResources('AWS::IAM::Role')[logicalId(s.stack.campaign.role)];
    expect(role?.Properties.AssumeRolePolicyDocument.Statement).toEqual([
      { Action: 'sts:AssumeRole', Effect: 'Allow', Principal: { Service: 'states.amazonaws.com' } },
    ]);
  });
});

describe('campaign functions', () => {
  it('campaign-enqueue: its log group, the campaign table (read, update, batch write), audit findings, X-Ray', () => {
    expect(functionStatements(s, 'campaign-enqueue')).toEqual([
      ...functionBaseStatements(s, 'campaign-enqueue'),
      onCampaignTable(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem']),
      { Action: 'iot:ListAuditFindings', Effect: 'Allow', Resource: '*' },
    ]);
  });

  it('campaign-enqueue: the campaign table name, its time budget and the metrics namespace', () => {
    expect(envOf('campaign-enqueue')).toEqual({
      CAMPAIGN_TABLE_NAME: ref(ids.campaignTable),
      PACER_TICK_SECONDS: '60',
      METRICS_NAMESPACE: 'recert',
      POWERTOOLS_SERVICE_NAME: 'recert',
      POWERTOOLS_METRICS_NAMESPACE: 'recert',
      POWERTOOLS_LOG_LEVEL: 'INFO',
      NODE_OPTIONS: '--enable-source-maps',
    });
  });

  it('campaign-pacer: its log group, the campaign table (read, update, query), the things of a certificate, starts of rotations and of its own successor, X-Ray', () => {
    expect(functionStatements(s, 'campaign-pacer')).toEqual([
      ...functionBaseStatements(s, 'campaign-pacer'),
      onCampaignTable(['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query']),
      { Action: 'iot:ListPrincipalThings', Effect: 'Allow', Resource: cfnArn('iot', 'cert/*') },
      { Action: 'states:StartExecution', Effect: 'Allow', Resource: ROTATION_STATE_MACHINE_ARN },
      { Action: 'states:StartExecution', Effect: 'Allow', Resource: CAMPAIGN_STATE_MACHINE_ARN },
    ]);
  });

  it('campaign-pacer: the campaign table, the rotation state machine it starts, its tick', () => {
    expect(envOf('campaign-pacer')).toMatchObject({
      CAMPAIGN_TABLE_NAME: ref(ids.campaignTable),
      STATE_MACHINE_ARN: ROTATION_STATE_MACHINE_ARN,
      PACER_TICK_SECONDS: '60',
    });
    // Lambda sets the region itself and refuses a configuration that does.
    expect(envOf('campaign-pacer')).not.toHaveProperty('AWS_REGION');
  });

  it.each(CAMPAIGN_FUNCTION_IDS)('%s: Node.js 22 on arm64, traced, JSON logs to its own group', (fid) => {
    s.template.hasResourceProperties('AWS::Lambda::Function', {
      Runtime: 'nodejs22.x',
      Architectures: ['arm64'],
      Handler: 'index.handler',
      TracingConfig: { Mode: 'Active' },
      LoggingConfig: { LogFormat: 'JSON', LogGroup: ref(ids.logGroups[fid]) },
      Role: getAtt(ids.roles[fid]),
    });
  });
});

describe('rotation functions that campaigns changed', () => {
  it('audit-fanout: may only start campaign executions (it no longer lists findings or starts rotations)', () => {
    expect(functionStatements(s, 'audit-fanout')).toEqual([
      ...functionBaseStatements(s, 'audit-fanout'),
      { Action: 'states:StartExecution', Effect: 'Allow', Resource: CAMPAIGN_STATE_MACHINE_ARN },
    ]);
  });

  it('audit-fanout: starts campaigns with the pacing this deployment set, the rest left to derive', () => {
    // Act
    const env = envOf('audit-fanout');

    // Assess
    expect(env).toMatchObject({
      CAMPAIGN_STATE_MACHINE_ARN,
      PACING_STARTS_PER_SECOND: '4',
      PACING_FAILURE_RATE_THRESHOLD: '0.2',
      PACING_QUOTAS: '{"iot:CreateCertificateFromCsr":50}',
      PACING_HEADROOM: '0.8',
    });
    expect(env).not.toHaveProperty('PACING_MAX_IN_FLIGHT');
    expect(env).not.toHaveProperty('PACING_MIN_FINISHED');
    // The campaigns start the rotations: the fan-out is not told the rotation state machine.
    expect(env).not.toHaveProperty('STATE_MACHINE_ARN');
  });

  it('the pacing variables the deployment writes are exactly those the fan-out contract reads', () => {
    const read = FUNCTIONS['audit-fanout'].environment
      .map((v) => v.name)
      .filter((name) => name.startsWith('PACING_'));
    expect(read.sort()).toEqual(Object.values(PACING_ENV).sort());
  });

  it.each<{ fid: ChangedFunctionId; why: string; own: () => object[]; after?: readonly object[] }>([
    {
      fid: 'request-csr',
      why: 'parking',
      own: () => [
        { Action: 'iot:Publish', Effect: 'Allow', Resource: cfnArn('iot', 'topic/management/topic/*') },
      ],
    },
    {
      fid: 'device-reply',
      why: 'unparking',
      // A task token names no resource: AWS authorizes SendTask* on `*`.
      own: () => [
        { Action: ['states:SendTaskSuccess', 'states:SendTaskFailure'], Effect: 'Allow', Resource: '*' },
      ],
    },
    {
      fid: 'outcome-recorder',
      why: 'outcomes',
      own: () => [
        { Action: 'sns:Publish', Effect: 'Allow', Resource: ref(ids.escalationTopic) },
        // The escalation topic is encrypted: publishing needs its key.
        { Action: ['kms:Decrypt', 'kms:GenerateDataKey'], Effect: 'Allow', Resource: getAtt(ids.key) },
      ],
      after: REMOVE_CERTIFICATE_STATEMENTS,
    },
  ])('$fid: its rotation grants, and UpdateItem only on the campaign table ($why)', ({
    fid,
    own,
    after = [],
  }) => {
    expect(functionStatements(s, fid)).toEqual([
      ...functionBaseStatements(s, fid),
      { Action: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], Effect: 'Allow', Resource: rotationTable() },
      ...own(),
      COUNT_IN_CAMPAIGN(),
      ...after,
    ]);
  });

  it.each([
    'request-csr',
    'device-reply',
    'outcome-recorder',
  ] as const)('%s: gets the campaign table name', (fid) => {
    expect(envOf(fid)).toMatchObject({ CAMPAIGN_TABLE_NAME: ref(ids.campaignTable) });
  });
});

describe('monitoring', () => {
  it('alarms to the escalation topic when a campaign stops (its execution FAILED or TIMED_OUT)', () => {
    // Prepare
    const alarms = Object.values(s.template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);

    // Act
    const stopped = alarms.find((a) => /A campaign stopped starting rotations/.test(a.AlarmDescription));

    // Assess
    const metrics = stopped?.Metrics.flatMap(
      (m: { MetricStat?: { Metric: { MetricName: string; Dimensions: unknown } } }) =>
        m.MetricStat ? [m.MetricStat.Metric] : [],
    );
    expect(metrics).toEqual([
      {
        MetricName: 'ExecutionsFailed',
        Namespace: 'AWS/States',
        Dimensions: [{ Name: 'StateMachineArn', Value: ref(ids.stateMachine) }],
      },
      {
        MetricName: 'ExecutionsTimedOut',
        Namespace: 'AWS/States',
        Dimensions: [{ Name: 'StateMachineArn', Value: ref(ids.stateMachine) }],
      },
    ]);
    expect(stopped).toMatchObject({
      Threshold: 1,
      ComparisonOperator: 'GreaterThanOrEqualToThreshold',
      AlarmActions: [ref(ids.escalationTopic)],
    });
  });

  it('keeps every alarm within the 10 metrics CloudWatch allows in one alarm', () => {
    const alarms = Object.values(s.template.findResources('AWS::CloudWatch::Alarm')).map((a) => a.Properties);
    for (const alarm of alarms) {
      const fetched = (alarm.Metrics ?? []).filter((m: { MetricStat?: unknown }) => m.MetricStat);
      expect(fetched.length, alarm.AlarmDescription).toBeLessThanOrEqual(10);
    }
  });
});

describe('the template as a whole', () => {
  it('has no unacknowledged cdk-nag AwsSolutions finding with these settings', () => {
    expect(s.findings).toEqual([]);
  });

  it('outputs the campaign table and state machine for the recert CLI', () => {
    s.template.hasOutput('CampaignTableName', { Value: ref(ids.campaignTable) });
    s.template.hasOutput('CampaignStateMachineArn', { Value: ref(ids.stateMachine) });
  });
});
