import { RETIRED_PARTITION } from '../campaign/table.ts';
import {
  CAMPAIGN_COUNTERS_ENV,
  IOT_DATA_ENV,
  ISSUER_KIND_ENV,
  METRICS_ENV,
  PACING_ENV,
  PRIVATE_CA_ENV,
  TABLE_ENV,
} from './function-env.ts';
import type { FunctionSpec as GenericFunctionSpec, Grant, TaskEventSpec } from './function-spec.ts';
import {
  IssueCertificateInput,
  RequestCsrInput,
  RetireCertificateInput,
  RevokeCertificateInput,
} from './types.ts';

export type {
  EnvValueType,
  EnvVarSpec,
  FunctionTrigger,
  Grant,
  ResourceRole,
  TaskEventSpec,
} from './function-spec.ts';

/**
 * The Lambda functions of the rotation workflow: where each one lives, what starts it, what it
 * reads from its environment (the one place that names each variable), the task input it parses and
 * which AWS actions it needs. `workflows/access/` turns `permissions`
 * into each role's policy, which `infra/` deploys and `local/` enforces; `local/` registers each
 * `createHandler` in its function registry.
 */

export const FUNCTION_IDS = [
  'audit-fanout',
  'request-csr',
  'issue-certificate',
  'device-reply',
  'revoke-certificate',
  'retire-certificate',
  'on-reconnect',
  'outcome-recorder',
  'retired-certificate-sweeper',
] as const;

export type FunctionId = (typeof FUNCTION_IDS)[number];

/** A function's description; the rotation workflow's functions by default. */
export type FunctionSpec<Id extends string = FunctionId> = GenericFunctionSpec<Id>;

/**
 * Why device-reply drops a reply (invariant 3): the dimension of its `ReplyRejected` metric, which
 * infra/ alarms on.
 */
export const REJECTION_REASONS = [
  'malformed',
  'unknown-thing',
  'not-in-progress',
  'wrong-phase',
  'duplicate',
  'stale-rotation',
  'missing-rotation-id',
  'wrong-principal',
] as const;
export type RejectionReason = (typeof REJECTION_REASONS)[number];

const CAMPAIGN_COUNTERS_GRANT: Grant = { actions: ['dynamodb:UpdateItem'], resource: 'campaignTable' };

/**
 * Taking a certificate out of service (functions/shared/iot-certificates.ts removeCertificate): detach
 * it from thing and policies, INACTIVE, delete. AWS authorizes each of these on the certificate;
 * ListAttachedPolicies lists no resource type in the authorization reference, while the IoT developer
 * guide names the target: `*` satisfies both readings.
 */
const IOT_REMOVAL_GRANTS: readonly Grant[] = [
  {
    actions: [
      'iot:DescribeCertificate',
      'iot:DetachThingPrincipal',
      'iot:DetachPolicy',
      'iot:UpdateCertificate',
      'iot:DeleteCertificate',
    ],
    resource: 'iotCertificates',
  },
  { actions: ['iot:ListAttachedPolicies'], resource: 'any' },
];

/** Revoke and retire both read and write the rotation record, then take a certificate away. */
const CERTIFICATE_REMOVAL_GRANTS: readonly Grant[] = [
  { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resource: 'rotationTable' },
  ...IOT_REMOVAL_GRANTS,
];

/** Handlers live by what invokes them: a rotation step, a campaign step, or an event. */
const entry = (group: 'rotation-steps' | 'event-triggered', id: FunctionId): string =>
  `functions/${group}/${id}/handler.ts`;

/** Every rotation step's log lines name the thing and the rotation. */
const ROTATION_LOG_KEYS = ['thingName', 'rotationId'] as const;
const taskEvent = <S extends TaskEventSpec['schema']>(schema: S) =>
  ({ schema, logKeys: ROTATION_LOG_KEYS }) as const;

export const FUNCTIONS = {
  'audit-fanout': {
    id: 'audit-fanout',
    entry: entry('event-triggered', 'audit-fanout'),
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
  'request-csr': {
    id: 'request-csr',
    entry: entry('rotation-steps', 'request-csr'),
    handlerExport: 'handler',
    factoryExport: 'createHandler',
    description: 'Stores the task token, phase AWAITING_CSR and rotationId in the record; publishes csr_req.',
    trigger: { kind: 'state-machine-task', state: 'RequestCsr', waitForTaskToken: true },
    event: taskEvent(RequestCsrInput),
    environment: [TABLE_ENV, IOT_DATA_ENV, CAMPAIGN_COUNTERS_ENV, METRICS_ENV],
    permissions: [
      { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resource: 'rotationTable' },
      { actions: ['iot:Publish'], resource: 'managementTopics' },
      // A request repeated after a timeout parks the rotation in its campaign.
      CAMPAIGN_COUNTERS_GRANT,
    ],
    timeoutSeconds: 30,
  },
  'issue-certificate': {
    id: 'issue-certificate',
    entry: entry('rotation-steps', 'issue-certificate'),
    handlerExport: 'handler',
    factoryExport: 'createHandler',
    description:
      'Validates the CSR (invariant 4), issues at most one certificate per attempt (invariant 5), copies ' +
      "the old certificate's policies and attaches it to the thing (invariant 7); then stores the task " +
      'token and phase AWAITING_ACK in the record and publishes crt_res.',
    trigger: { kind: 'state-machine-task', state: 'IssueAndDeliver', waitForTaskToken: true },
    event: taskEvent(IssueCertificateInput),
    environment: [
      TABLE_ENV,
      IOT_DATA_ENV,
      {
        name: 'CSR_REQUIRE_CN_MATCH',
        key: 'requireCnMatch',
        type: 'boolean',
        required: false,
        source: 'setting',
        default: 'true',
        description: 'Whether the CSR subject CN must equal the thing name.',
      },
      ISSUER_KIND_ENV,
      ...PRIVATE_CA_ENV,
      METRICS_ENV,
    ],
    permissions: [
      { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem'], resource: 'rotationTable' },
      // The old certificate is described, the new one attached to the old one's policies and thing;
      // UpdateCertificate and DeleteCertificate clean up a certificate the record could not take.
      {
        actions: [
          'iot:DescribeCertificate',
          'iot:AttachPolicy',
          'iot:AttachThingPrincipal',
          'iot:UpdateCertificate',
          'iot:DeleteCertificate',
        ],
        resource: 'iotCertificates',
      },
      // The reference gives ListAttachedPolicies no resource type.
      { actions: ['iot:ListAttachedPolicies'], resource: 'any' },
      // crt_res to the device's management topic.
      { actions: ['iot:Publish'], resource: 'managementTopics' },
    ],
    issuerPermissions: {
      // AWS IoT's CA: CreateCertificateFromCsr creates the resource, so there is no ARN to name yet.
      'aws-iot': [{ actions: ['iot:CreateCertificateFromCsr'], resource: 'any' }],
      'acm-pca': [
        // DescribeCertificateAuthority tells the function the CA key's signing algorithm.
        {
          actions: [
            'acm-pca:DescribeCertificateAuthority',
            'acm-pca:IssueCertificate',
            'acm-pca:GetCertificate',
          ],
          resource: 'privateCertificateAuthority',
        },
        // RegisterCertificateWithoutCA creates the certificate resource: no ARN to name yet either.
        { actions: ['iot:RegisterCertificateWithoutCA'], resource: 'any' },
      ],
    },
    timeoutSeconds: 60,
  },
  'device-reply': {
    id: 'device-reply',
    entry: entry('event-triggered', 'device-reply'),
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
  'revoke-certificate': {
    id: 'revoke-certificate',
    entry: entry('rotation-steps', 'revoke-certificate'),
    handlerExport: 'handler',
    factoryExport: 'createHandler',
    description:
      'Revokes the new certificate of a failed attempt: detach from thing and policies, INACTIVE, delete. ' +
      'Never the old one.',
    trigger: { kind: 'state-machine-task', state: 'RevokeNewCertificate', waitForTaskToken: false },
    event: taskEvent(RevokeCertificateInput),
    environment: [TABLE_ENV, METRICS_ENV],
    permissions: CERTIFICATE_REMOVAL_GRANTS,
    timeoutSeconds: 60,
  },
  'retire-certificate': {
    id: 'retire-certificate',
    entry: entry('rotation-steps', 'retire-certificate'),
    handlerExport: 'handler',
    factoryExport: 'createHandler',
    description:
      'After the proven crt_ack only: detaches the old certificate from thing and policies, sets it ' +
      'INACTIVE and deletes it (or keeps it INACTIVE when a grace period is set, recording when the ' +
      'retired-certificate sweeper may delete it).',
    trigger: { kind: 'state-machine-task', state: 'RetireOldCertificate', waitForTaskToken: false },
    event: taskEvent(RetireCertificateInput),
    environment: [
      TABLE_ENV,
      {
        ...CAMPAIGN_COUNTERS_ENV,
        description:
          'Name of the campaign table: the completed rotation counts as succeeded in its campaign, and a ' +
          'certificate kept for a grace period gets its "delete after" entry for the retired-certificate sweeper.',
      },
      {
        name: 'OLD_CERTIFICATE_GRACE_DAYS',
        key: 'graceDays',
        type: 'number',
        required: false,
        source: 'setting',
        default: '0',
        description: '0 deletes the old certificate; more keeps it INACTIVE and records when it may go.',
      },
      METRICS_ENV,
    ],
    permissions: [
      ...CERTIFICATE_REMOVAL_GRANTS,
      // The "delete after" entry of a certificate kept for a grace period, in its partition only.
      { actions: ['dynamodb:PutItem'], resource: 'campaignTable', leadingKeys: [RETIRED_PARTITION] },
      // The completed rotation is counted as succeeded in its campaign.
      CAMPAIGN_COUNTERS_GRANT,
    ],
    timeoutSeconds: 60,
  },
  'on-reconnect': {
    id: 'on-reconnect',
    entry: entry('event-triggered', 'on-reconnect'),
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
    entry: entry('event-triggered', 'outcome-recorder'),
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
    entry: entry('event-triggered', 'retired-certificate-sweeper'),
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
} as const satisfies Readonly<Record<FunctionId, FunctionSpec>>;
