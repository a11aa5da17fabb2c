import { Aws, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type * as iam from 'aws-cdk-lib/aws-iam';
import * as iot from 'aws-cdk-lib/aws-iot';
import type { Construct } from 'constructs';
import {
  functionIdentity,
  type IdentityId,
  type IdentityOptions,
  type ResourceArns,
} from '../workflows/access/identity-policies.ts';
import { DEVICE_POLICY_NAME, devicePolicyDocument } from '../workflows/rotate-device/device-policy.ts';
import { stateMachineArnFromName } from './arns.ts';
import { CampaignTable } from './constructs/campaign-table.ts';
import { DeviceDefenderAudit } from './constructs/device-defender-audit.ts';
import { DeviceTopicRules } from './constructs/device-topic-rules.ts';
import type { FileDefinedStateMachine } from './constructs/file-state-machine.ts';
import { FunctionSchedules } from './constructs/function-schedules.ts';
import { IotDataEndpoint } from './constructs/iot-data-endpoint.ts';
import { Monitoring } from './constructs/monitoring.ts';
import { OutcomeEvents } from './constructs/outcome-events.ts';
import { RotationTable } from './constructs/rotation-table.ts';
import { NotificationTopics } from './constructs/topics.ts';
import { DEPLOYED_FUNCTION_IDS, WorkflowFunctions } from './constructs/workflow-functions.ts';
import { campaignStateMachine, rotationStateMachine } from './constructs/workflow-state-machines.ts';
import { attachIdentityPolicies, operatorPolicy } from './identity-roles.ts';
import { suppressFindings } from './nag-suppressions.ts';
import type { DeploymentSettings } from './settings.ts';

export interface RecertStackProps extends StackProps {
  readonly settings: DeploymentSettings;
}

/** The names of the stack outputs, which the `recert` CLI reads. */
export const STACK_OUTPUTS = {
  stateMachineArn: 'StateMachineArn',
  tableName: 'RotationTableName',
  escalationTopicArn: 'EscalationTopicArn',
  auditTopicArn: 'AuditTopicArn',
  region: 'Region',
  devicePolicyName: 'DevicePolicyName',
  dashboardName: 'DashboardName',
  campaignTableName: 'CampaignTableName',
  campaignStateMachineArn: 'CampaignStateMachineArn',
  operatorPolicyArn: 'OperatorPolicyArn',
} as const;

/** Everything recert needs in one AWS account and region. */
export class RecertStack extends Stack {
  readonly table: RotationTable;
  readonly campaignTable: CampaignTable;
  readonly topics: NotificationTopics;
  readonly workflowFunctions: WorkflowFunctions;
  readonly rotation: FileDefinedStateMachine;
  readonly campaign: FileDefinedStateMachine;
  readonly topicRules: DeviceTopicRules;
  readonly audit: DeviceDefenderAudit;
  readonly outcomeEvents: OutcomeEvents;
  readonly schedules: FunctionSchedules;
  readonly devicePolicy: iot.CfnPolicy;
  readonly monitoring: Monitoring;
  readonly iotDataEndpoint: IotDataEndpoint;
  /** What every identity's statements name (workflows/access/), as this stack's tokens. */
  readonly resourceArns: ResourceArns;
  /** The operators' least-privilege policy, for an administrator to attach. */
  readonly operatorPolicy: iam.ManagedPolicy;
  /** What the identities' statements depend on (the issuer). */
  readonly identityOptions: IdentityOptions;
  /** The role of each identity the stack deploys (the operator is a policy, not a role). */
  readonly identityRoles: Readonly<Partial<Record<IdentityId, iam.IRole>>>;

  constructor(scope: Construct, id: string, props: RecertStackProps) {
    super(scope, id, props);
    const { settings } = props;
    this.table = new RotationTable(this, 'Rotations');
    this.campaignTable = new CampaignTable(this, 'Campaigns');
    this.topics = new NotificationTopics(this, 'Topics');
    // Functions need the state machine's ARN and the state machine needs theirs: the functions get
    // it from the name, which is fixed, so neither waits for the other.
    const stateMachineArn = stateMachineArnFromName(this, settings.stateMachineName);
    const campaignStateMachineName = settings.campaignStateMachineName;
    this.iotDataEndpoint = new IotDataEndpoint(
      this,
      'IotDataEndpoint',
      settings.iotDataEndpoint === undefined ? {} : { host: settings.iotDataEndpoint },
    );
    this.workflowFunctions = new WorkflowFunctions(this, 'Functions', {
      settings,
      iotDataEndpointUrl: this.iotDataEndpoint.url,
      resources: {
        tableName: this.table.table.tableName,
        stateMachineArn,
        campaignTableName: this.campaignTable.table.tableName,
        campaignStateMachineArn: stateMachineArnFromName(this, campaignStateMachineName),
        escalationTopicArn: this.topics.escalationTopic.topicArn,
      },
    });
    const functions = this.workflowFunctions.functions;
    this.rotation = rotationStateMachine(this, 'RotateDevice', {
      stateMachineName: settings.stateMachineName,
      workflowSettings: settings.workflow,
      functions,
      tableName: this.table.table.tableName,
      logRetentionDays: settings.logRetentionDays,
    });
    this.campaign = campaignStateMachine(this, 'Campaign', {
      stateMachineName: campaignStateMachineName,
      workflowSettings: settings.workflow,
      campaignSettings: settings.campaign,
      functions,
      logRetentionDays: settings.logRetentionDays,
    });
    this.topicRules = new DeviceTopicRules(this, 'TopicRules', {
      functions,
      logRetentionDays: settings.logRetentionDays,
    });
    this.audit = new DeviceDefenderAudit(this, 'Audit', {
      settings: settings.audit,
      topic: this.topics.auditTopic,
      topicKey: this.topics.key,
      logRetentionDays: settings.logRetentionDays,
    });
    // The fan-out listens where audit notifications go: recert's topic, or the account's existing target.
    this.audit.subscribe(functions['audit-fanout']);
    this.outcomeEvents = new OutcomeEvents(this, 'Outcomes', {
      stateMachineArn: this.rotation.stateMachine.stateMachineArn,
      recorder: functions['outcome-recorder'],
    });
    this.schedules = new FunctionSchedules(this, 'Schedules', { functions });
    this.devicePolicy = new iot.CfnPolicy(this, 'DevicePolicy', {
      policyName: DEVICE_POLICY_NAME,
      policyDocument: devicePolicyDocument(Aws.PARTITION, Aws.REGION, Aws.ACCOUNT_ID),
    });
    this.resourceArns = this.deployedResourceArns(settings);
    this.identityOptions = { issuer: settings.issuer.kind };
    this.identityRoles = this.grantIdentities();
    this.operatorPolicy = operatorPolicy(this, 'OperatorPolicy', this.resourceArns, this.identityOptions);
    this.monitoring = new Monitoring(this, 'Monitoring', {
      stateMachine: this.rotation.stateMachine,
      campaignStateMachine: this.campaign.stateMachine,
      functions,
      table: this.table.table,
      escalationTopic: this.topics.escalationTopic,
      metricsNamespace: settings.metricsNamespace,
      rejectedRepliesPerHour: settings.alarms.rejectedRepliesPerHour,
    });

    const outputs: readonly (readonly [name: string, value: string, description: string])[] = [
      [
        STACK_OUTPUTS.stateMachineArn,
        this.rotation.stateMachine.stateMachineArn,
        'rotate-device state machine',
      ],
      [STACK_OUTPUTS.tableName, this.table.table.tableName, 'Rotation table'],
      [
        STACK_OUTPUTS.escalationTopicArn,
        this.topics.escalationTopic.topicArn,
        'Escalations (subscribe here)',
      ],
      [
        STACK_OUTPUTS.auditTopicArn,
        this.audit.notificationTopic.topicArn,
        "Device Defender audit notifications: recert's topic, or the account's existing audit target",
      ],
      [STACK_OUTPUTS.region, this.region, 'Region of the deployment'],
      [STACK_OUTPUTS.devicePolicyName, DEVICE_POLICY_NAME, 'IoT policy to attach to device certificates'],
      [STACK_OUTPUTS.dashboardName, this.monitoring.dashboard.dashboardName, 'CloudWatch dashboard'],
      [STACK_OUTPUTS.campaignTableName, this.campaignTable.table.tableName, 'Campaign table (start queues)'],
      [
        STACK_OUTPUTS.campaignStateMachineArn,
        this.campaign.stateMachine.stateMachineArn,
        'campaign state machine (paces the starts of a fleet rotation)',
      ],
      [
        STACK_OUTPUTS.operatorPolicyArn,
        this.operatorPolicy.managedPolicyArn,
        'Managed policy to attach to the people who run recert (the recert CLI)',
      ],
    ];
    for (const [name, value, description] of outputs) new CfnOutput(this, name, { value, description });

    suppressFindings(this);
  }

  /** The stack's resources as `workflows/access/` names them; state machines by name (see above). */
  private deployedResourceArns(settings: DeploymentSettings): ResourceArns {
    const f = this.workflowFunctions;
    const byFunction = (pick: (fid: (typeof DEPLOYED_FUNCTION_IDS)[number]) => string) =>
      Object.fromEntries(
        DEPLOYED_FUNCTION_IDS.map((fid) => [fid, pick(fid)]),
      ) as ResourceArns['functionArns'];
    return {
      partition: this.partition,
      region: this.region,
      account: this.account,
      rotationTableArn: this.table.table.tableArn,
      campaignTableArn: this.campaignTable.table.tableArn,
      stateMachineArn: stateMachineArnFromName(this, settings.stateMachineName),
      stateMachineName: settings.stateMachineName,
      campaignStateMachineArn: stateMachineArnFromName(this, settings.campaignStateMachineName),
      campaignStateMachineName: settings.campaignStateMachineName,
      escalationTopicArn: this.topics.escalationTopic.topicArn,
      auditTopicArn: this.topics.auditTopic.topicArn,
      topicKeyArn: this.topics.key.keyArn,
      functionArns: byFunction((fid) => f.functions[fid].functionArn),
      functionLogGroupArns: byFunction((fid) => f.logGroups[fid].logGroupArn),
      topicRuleErrorLogGroupArn: this.topicRules.errorLogGroup.logGroupArn,
      stackName: this.stackName,
      ...(settings.issuer.kind === 'acm-pca'
        ? { privateCaArn: settings.issuer.certificateAuthorityArn }
        : {}),
    };
  }

  /** Every role gets exactly its identity's statements (workflows/access/identity-policies.ts). */
  private grantIdentities(): Partial<Record<IdentityId, iam.IRole>> {
    const roles: Partial<Record<IdentityId, iam.IRole>> = {
      'state-machine:rotate-device': this.rotation.role,
      'state-machine:campaign': this.campaign.role,
      'topic-rules:error-action': this.topicRules.errorRole,
      'device-defender:audit': this.audit.auditRole,
      'device-defender:notifications': this.audit.notificationRole,
    };
    for (const fid of DEPLOYED_FUNCTION_IDS) roles[functionIdentity(fid)] = this.workflowFunctions.roles[fid];
    attachIdentityPolicies(roles, this.resourceArns, this.identityOptions);
    return roles;
  }
}
