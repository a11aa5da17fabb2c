/**
 * The campaign workflow's functions, described as the rotation workflow's are (`FunctionSpec`):
 * `infra/` grants and configures them from here, `local/` registers them.
 */
import { METRICS_ENV } from '../rotate-device/function-env.ts';
import type { EnvVarSpec, FunctionSpec } from '../rotate-device/functions.ts';

export const CAMPAIGN_FUNCTION_IDS = ['campaign-enqueue', 'campaign-pacer'] as const;
export type CampaignFunctionId = (typeof CAMPAIGN_FUNCTION_IDS)[number];

const CAMPAIGN_TABLE_ENV = {
  name: 'CAMPAIGN_TABLE_NAME',
  key: 'campaignTableName',
  required: true,
  source: 'campaignTable',
  description: 'Name of the campaign table (META items and start queues).',
} as const satisfies EnvVarSpec;

/** The time budget of one invocation of either function, a setting; `description` says what it spends it on. */
const pacerTickEnv = (description: string) =>
  ({
    name: 'PACER_TICK_SECONDS',
    key: 'pacerTickSeconds',
    type: 'number',
    required: false,
    source: 'setting',
    default: '60',
    description,
  }) as const satisfies EnvVarSpec;

export const CAMPAIGN_FUNCTIONS = {
  'campaign-enqueue': {
    id: 'campaign-enqueue',
    entry: 'functions/campaign-steps/campaign-enqueue/handler.ts',
    handlerExport: 'handler',
    factoryExport: 'createHandler',
    description:
      "Writes a campaign's rotations to its start queue, in order: the audit task's non-compliant " +
      "certificates page by page (resuming from the cursor in META), or the operator's list.",
    trigger: {
      kind: 'state-machine-task',
      state: 'Enqueue',
      waitForTaskToken: false,
      stateMachine: 'campaign',
    },
    environment: [
      CAMPAIGN_TABLE_ENV,
      pacerTickEnv('How long one invocation keeps paging findings before it returns (its time budget).'),
      METRICS_ENV,
    ],
    permissions: [
      {
        actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:BatchWriteItem'],
        resource: 'campaignTable',
      },
      // ListAuditFindings takes no resource ARN.
      { actions: ['iot:ListAuditFindings'], resource: 'any' },
    ],
    timeoutSeconds: 120,
  },
  'campaign-pacer': {
    id: 'campaign-pacer',
    entry: 'functions/campaign-steps/campaign-pacer/handler.ts',
    handlerExport: 'handler',
    factoryExport: 'createHandler',
    description:
      'Starts queued rotations no faster than the pacing allows (start rate, rotations in flight), stops ' +
      'the campaign when its failure rate passes the threshold, and hands over to a fresh execution ' +
      'before the history grows long.',
    trigger: { kind: 'state-machine-task', state: 'Pace', waitForTaskToken: false, stateMachine: 'campaign' },
    environment: [
      CAMPAIGN_TABLE_ENV,
      {
        name: 'STATE_MACHINE_ARN',
        key: 'stateMachineArn',
        required: true,
        source: 'stateMachine',
        description: 'ARN of the rotate-device state machine.',
      },
      {
        name: 'AWS_REGION',
        key: 'region',
        required: true,
        source: 'lambdaRuntime',
        description: 'Region of the IoT certificates (Lambda sets it; the local stack passes its region).',
      },
      pacerTickEnv('How long one pacer invocation keeps starting rotations before it returns.'),
      METRICS_ENV,
    ],
    permissions: [
      { actions: ['dynamodb:GetItem', 'dynamodb:UpdateItem', 'dynamodb:Query'], resource: 'campaignTable' },
      // The things a queued certificate is attached to: AWS authorizes ListPrincipalThings on the certificate.
      { actions: ['iot:ListPrincipalThings'], resource: 'iotCertificates' },
      { actions: ['states:StartExecution'], resource: 'stateMachine' },
      // The hand-over to a fresh execution of the campaign before the history grows long.
      { actions: ['states:StartExecution'], resource: 'campaignStateMachine' },
    ],
    timeoutSeconds: 120,
  },
} as const satisfies Readonly<Record<CampaignFunctionId, FunctionSpec<CampaignFunctionId>>>;
