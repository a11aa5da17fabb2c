import { RETIRED_PARTITION } from '../campaign/table.ts';
import {
  CAMPAIGN_COUNTERS_ENV,
  IOT_DATA_ENV,
  ISSUER_KIND_ENV,
  METRICS_ENV,
  PRIVATE_CA_ENV,
  TABLE_ENV,
} from './function-env.ts';
import { CAMPAIGN_COUNTERS_GRANT, CERTIFICATE_REMOVAL_GRANTS } from './function-grants.ts';
import type { FunctionSpec, TaskEventSpec } from './function-spec.ts';
import {
  IssueCertificateInput,
  RequestCsrInput,
  RetireCertificateInput,
  RevokeCertificateInput,
} from './types.ts';

/** The rotation workflow's task functions: the state machine invokes each (functions/rotation-steps/). */

export const ROTATION_STEP_IDS = [
  'request-csr',
  'issue-certificate',
  'revoke-certificate',
  'retire-certificate',
] as const;
export type RotationStepId = (typeof ROTATION_STEP_IDS)[number];

const entry = (id: RotationStepId): string => `functions/rotation-steps/${id}/handler.ts`;

/** Every rotation step's log lines name the thing and the rotation. */
const ROTATION_LOG_KEYS = ['thingName', 'rotationId'] as const;
const taskEvent = <S extends TaskEventSpec['schema']>(schema: S) =>
  ({ schema, logKeys: ROTATION_LOG_KEYS }) as const;

export const ROTATION_STEP_FUNCTIONS = {
  'request-csr': {
    id: 'request-csr',
    entry: entry('request-csr'),
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
    entry: entry('issue-certificate'),
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
  'revoke-certificate': {
    id: 'revoke-certificate',
    entry: entry('revoke-certificate'),
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
    entry: entry('retire-certificate'),
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
} as const satisfies Readonly<Record<RotationStepId, FunctionSpec<RotationStepId>>>;
