import { RETIRED_PARTITION } from '../campaign/table.ts';
import { CAMPAIGN_COUNTERS_ENV, IOT_DATA_ENV, METRICS_ENV, PACING_ENV, TABLE_ENV } from './function-env.ts';
import { CAMPAIGN_COUNTERS_GRANT, IOT_REMOVAL_GRANTS } from './function-grants.ts';
import type { FunctionSpec } from './function-spec.ts';

/**
 * The rotation workflow's functions that an event starts: an audit notification, a device's reply,
 * a reconnect, an execution's end, a schedule (functions/event-triggered/).
 */

export const EVENT_TRIGGERED_IDS = [
  'audit-fanout',
  'device-reply',
  'on-reconnect',
  'outcome-recorder',
  'retired-certificate-sweeper',
] as const;
export type EventTriggeredId = (typeof EVENT_TRIGGERED_IDS)[number];

const entry = (id: EventTriggeredId): string => `functions/event-triggered/${id}/handler.ts`;

export const EVENT_TRIGGERED_FUNCTIONS = {
  'audit-fanout': {
    id: 'audit-fanout',
    entry: entry('audit-fanout'),
    handlerExport: 'handler',
    factoryExport: 'createHandler',
    description:
      'Device Defender audit notification (SNS) -> one campaign per audit task (named from it), which ' +
      'queues the non-compliant certificates and starts their rotations at the pacing.',
    trigger: { kind: 'sns', topic: 'auditNotifications' },
    environment: [
      {
        name: 'CAMPAIGN_STATE_MACHINE_ARN',
        key: 'campaignStateMachineArn',
        required: true,
        source: 'campaignStateMachine',
        description: 'ARN of the campaign state machine.',
      },
      ...PACING_ENV,
      {
        name: 'AUDIT_CHECK_NAMES',
        key: 'checkNames',
        type: 'list',
        required: false,
        source: 'setting',
        default: 'DEVICE_CERTIFICATE_EXPIRING_CHECK,DEVICE_CERTIFICATE_AGE_CHECK',
        description: 'Comma-separated audit checks whose findings start a rotation.',
      },
      METRICS_ENV,
    ],
    permissions: [{ actions: ['states:StartExecution'], resource: 'campaignStateMachine' }],
    timeoutSeconds: 30,
  },
  'device-reply': {
    id: 'device-reply',
    entry: entry('device-reply'),
    handlerExport: 'handler',
    factoryExport: 'createHandler',
    description:
      'Device replies (IoT rule): enforces invariant 3, then SendTaskSuccess / SendTaskFailure with the ' +
      'token kept in the record.',
    trigger: { kind: 'iot-rule', rule: 'recert_device_replies' },
    environment: [
      TABLE_ENV,
      {
        name: 'ACCEPT_REPLIES_WITHOUT_ROTATION_ID',
        key: 'acceptMissingRotationId',
        type: 'boolean',
        required: false,
        source: 'setting',
        default: 'true',
        description: 'Accept a reply without rotationId (the bare blog protocol) when it is unambiguous.',
      },
      CAMPAIGN_COUNTERS_ENV,
      METRICS_ENV,
    ],
    permissions: [
      { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resource: 'rotationTable' },
      // SendTaskSuccess / SendTaskFailure take a task token, not an ARN: AWS authorizes them on `*`.
      { actions: ['states:SendTaskSuccess', 'states:SendTaskFailure'], resource: 'any' },
      // A CSR from a parked rotation makes it active again in its campaign.
      CAMPAIGN_COUNTERS_GRANT,
    ],
    timeoutSeconds: 30,
  },
  'on-reconnect': {
    id: 'on-reconnect',
    entry: entry('on-reconnect'),
    handlerExport: 'handler',
    factoryExport: 'createHandler',
    description: 'IoT lifecycle connected event: sends the pending csr_req or crt_res of that thing again.',
    trigger: { kind: 'iot-rule', rule: 'recert_device_connected' },
    environment: [TABLE_ENV, IOT_DATA_ENV, METRICS_ENV],
    permissions: [
      { actions: ['dynamodb:GetItem'], resource: 'rotationTable' },
      { actions: ['iot:Publish'], resource: 'managementTopics' },
    ],
    timeoutSeconds: 30,
  },
  'outcome-recorder': {
    id: 'outcome-recorder',
    entry: entry('outcome-recorder'),
    handlerExport: 'handler',
    factoryExport: 'createHandler',
    description:
      'Step Functions status-change event: records FAILED / TIMED_OUT / ABORTED with the cause and ' +
      'publishes an escalation to SNS; revokes the unproven certificate of an aborted rotation.',
    trigger: {
      kind: 'eventbridge',
      source: 'aws.states',
      detailType: 'Step Functions Execution Status Change',
    },
    environment: [
      TABLE_ENV,
      {
        name: 'ESCALATION_TOPIC_ARN',
        key: 'escalationTopicArn',
        required: true,
        source: 'escalationTopic',
        description: 'SNS topic that receives one message per rotation that did not succeed.',
      },
      {
        name: 'STATE_MACHINE_ARN',
        key: 'stateMachineArn',
        required: true,
        source: 'stateMachine',
        description: "Only this state machine's events are recorded.",
      },
      {
        name: 'RECORD_RETENTION_SECONDS',
        key: 'retentionSeconds',
        type: 'number',
        required: false,
        source: 'setting',
        default: String(90 * 86_400),
        description: 'How long a finished record is kept before DynamoDB TTL deletes it.',
      },
      CAMPAIGN_COUNTERS_ENV,
      METRICS_ENV,
    ],
    permissions: [
      { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resource: 'rotationTable' },
      { actions: ['sns:Publish'], resource: 'escalationTopic' },
      // The topic is encrypted: SNS uses the key on the publisher's behalf.
      { actions: ['kms:Decrypt', 'kms:GenerateDataKey'], resource: 'topicKey' },
      // An ended rotation is counted (succeeded or failed) in its campaign.
      CAMPAIGN_COUNTERS_GRANT,
      // An aborted rotation's unproven certificate is revoked.
      ...IOT_REMOVAL_GRANTS,
    ],
    timeoutSeconds: 30,
  },
  'retired-certificate-sweeper': {
    id: 'retired-certificate-sweeper',
    entry: entry('retired-certificate-sweeper'),
    handlerExport: 'handler',
    factoryExport: 'createHandler',
    description:
      'Scheduled: deletes the old certificates whose grace period ended (INACTIVE, detached), oldest ' +
      'first, paced under the DeleteCertificate quota; leaves alone one that was reactivated.',
    trigger: { kind: 'schedule', rateMinutes: 15 },
    environment: [
      {
        name: 'CAMPAIGN_TABLE_NAME',
        key: 'campaignTableName',
        required: true,
        source: 'campaignTable',
        description: 'Name of the campaign table, whose reserved partition holds the "delete after" entries.',
      },
      {
        name: 'SWEEP_DELETES_PER_SECOND',
        key: 'sweepDeletesPerSecond',
        type: 'number',
        required: false,
        source: 'setting',
        default: '2',
        description:
          "DeleteCertificate calls per second, at most (AWS's quota is 10; the rest is left to campaigns).",
      },
      {
        name: 'SWEEP_BUDGET_SECONDS',
        key: 'sweepBudgetSeconds',
        type: 'number',
        required: false,
        source: 'setting',
        default: '840',
        description: 'How long one run keeps deleting before it leaves the rest to the next run.',
      },
      METRICS_ENV,
    ],
    permissions: [
      // The "delete after" entries only, never a campaign's items.
      {
        actions: ['dynamodb:Query', 'dynamodb:DeleteItem'],
        resource: 'campaignTable',
        leadingKeys: [RETIRED_PARTITION],
      },
      // What is still attached is found (ListPrincipalThings, on the certificate) and detached first.
      {
        actions: [
          'iot:DescribeCertificate',
          'iot:ListPrincipalThings',
          'iot:DetachThingPrincipal',
          'iot:DetachPolicy',
          'iot:DeleteCertificate',
        ],
        resource: 'iotCertificates',
      },
      { actions: ['iot:ListAttachedPolicies'], resource: 'any' },
    ],
    timeoutSeconds: 900,
  },
} as const satisfies Readonly<Record<EventTriggeredId, FunctionSpec<EventTriggeredId>>>;
