import { Aws, CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import * as iot from 'aws-cdk-lib/aws-iot';
import type { Construct } from 'constructs';
import { DEVICE_POLICY_NAME, devicePolicyDocument } from '../workflows/rotate-device/device-policy.ts';
import { stateMachineArnFromName } from './arns.ts';
import { CampaignStateMachine } from './constructs/campaign-state-machine.ts';
import { CampaignTable } from './constructs/campaign-table.ts';
import { DeviceDefenderAudit } from './constructs/device-defender-audit.ts';
import { DeviceTopicRules } from './constructs/device-topic-rules.ts';
import { FunctionSchedules } from './constructs/function-schedules.ts';
import { IotDataEndpoint } from './constructs/iot-data-endpoint.ts';
import { Monitoring } from './constructs/monitoring.ts';
import { OutcomeEvents } from './constructs/outcome-events.ts';
import { RotationStateMachine } from './constructs/rotation-state-machine.ts';
import { RotationTable } from './constructs/rotation-table.ts';
import { NotificationTopics } from './constructs/topics.ts';
import { WorkflowFunctions } from './constructs/workflow-functions.ts';
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
} as const;

/** Everything recert needs in one AWS account and region. */
export class RecertStack extends Stack {
  readonly table: RotationTable;
  readonly campaignTable: CampaignTable;
  readonly topics: NotificationTopics;
  readonly workflowFunctions: WorkflowFunctions;
  readonly rotation: RotationStateMachine;
  readonly campaign: CampaignStateMachine;
  readonly topicRules: DeviceTopicRules;
  readonly audit: DeviceDefenderAudit;
  readonly outcomeEvents: OutcomeEvents;
  readonly schedules: FunctionSchedules;
  readonly devicePolicy: iot.CfnPolicy;
  readonly monitoring: Monitoring;
  readonly iotDataEndpoint: IotDataEndpoint;

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
      targets: {
        tableArn: this.table.table.tableArn,
        tableName: this.table.table.tableName,
        stateMachineArn,
        stateMachineName: settings.stateMachineName,
        campaignTableArn: this.campaignTable.table.tableArn,
        campaignTableName: this.campaignTable.table.tableName,
        campaignStateMachineArn: stateMachineArnFromName(this, campaignStateMachineName),
        campaignStateMachineName,
        escalationTopicArn: this.topics.escalationTopic.topicArn,
        topicKeyArn: this.topics.key.keyArn,
      },
    });
    const functions = this.workflowFunctions.functions;
    this.rotation = new RotationStateMachine(this, 'RotateDevice', {
      stateMachineName: settings.stateMachineName,
      workflowSettings: settings.workflow,
      functions,
      tableName: this.table.table.tableName,
      tableArn: this.table.table.tableArn,
      logRetentionDays: settings.logRetentionDays,
    });
    this.campaign = new CampaignStateMachine(this, 'Campaign', {
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
    this.monitoring = new Monitoring(this, 'Monitoring', {
      stateMachine: this.rotation.stateMachine,
      campaignStateMachine: this.campaign.stateMachine,
      functions,
      table: this.table.table,
      escalationTopic: this.topics.escalationTopic,
      metricsNamespace: settings.metricsNamespace,
      rejectedRepliesPerHour: settings.alarms.rejectedRepliesPerHour,
    });

    const output = (name: string, value: string, description: string) =>
      new CfnOutput(this, name, { value, description });
    output(
      STACK_OUTPUTS.stateMachineArn,
      this.rotation.stateMachine.stateMachineArn,
      'rotate-device state machine',
    );
    output(STACK_OUTPUTS.tableName, this.table.table.tableName, 'Rotation table');
    output(
      STACK_OUTPUTS.escalationTopicArn,
      this.topics.escalationTopic.topicArn,
      'Escalations (subscribe here)',
    );
    output(
      STACK_OUTPUTS.auditTopicArn,
      this.audit.notificationTopic.topicArn,
      "Device Defender audit notifications: recert's topic, or the account's existing audit target",
    );
    output(STACK_OUTPUTS.region, this.region, 'Region of the deployment');
    output(STACK_OUTPUTS.devicePolicyName, DEVICE_POLICY_NAME, 'IoT policy to attach to device certificates');
    output(STACK_OUTPUTS.dashboardName, this.monitoring.dashboard.dashboardName, 'CloudWatch dashboard');
    output(
      STACK_OUTPUTS.campaignTableName,
      this.campaignTable.table.tableName,
      'Campaign table (start queues)',
    );
    output(
      STACK_OUTPUTS.campaignStateMachineArn,
      this.campaign.stateMachine.stateMachineArn,
      'campaign state machine (paces the starts of a fleet rotation)',
    );

    suppressFindings(this);
  }
}
