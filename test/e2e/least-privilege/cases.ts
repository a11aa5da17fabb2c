/**
 * The least-privilege cases, one table per way a missing grant shows: a rotation or campaign that
 * fails at a state, a rotation left waiting because a function behind an IoT rule fails, an SNS or
 * EventBridge delivery that fails, a scheduled run that fails. Each row removes one grant of one
 * identity; grants.test.ts checks that every grant of every function and state machine is in a row
 * or named below with the reason no scenario exercises it.
 */
import type { BehaviourName } from '../../../device/fleet/behaviours.ts';
import {
  DEPLOYED_FUNCTION_IDS,
  functionIdentity,
  type IdentityId,
} from '../../../workflows/access/identity-policies.ts';
import { SETTINGS } from '../../../workflows/rotate-device/settings.ts';
import type { Removal } from './harness.ts';

export const ROTATIONS = 'table/recert-rotations';
export const CAMPAIGNS = 'table/recert-campaigns';

/** The usual denial; DynamoDB's through a state machine's integration is `DynamoDB.` + it. */
export const DENIED = 'AccessDeniedException';
/** What the IoT data plane answers a refused Publish with. */
export const DATA_PLANE_DENIED = 'ForbiddenException';
/** SNS answers a refused Publish with AuthorizationError, which the SDK names this. */
export const SNS_DENIED = 'AuthorizationErrorException';

/** One grant taken away. */
export interface GrantCase extends Removal {
  /** The error code the failure carries. */
  readonly code: string;
}

type Row = readonly [action: string, code: string, onResource?: string];

function rows<const T>(identity: IdentityId, list: readonly Row[], rest: T): (GrantCase & T)[] {
  return list.map(([action, code, onResource]) => ({
    identity,
    action,
    code,
    ...(onResource ? { onResource } : {}),
    ...rest,
  }));
}

// ---- a rotation started by hand fails at a state (rotation-steps.test.ts) ----

export interface StepCase extends GrantCase {
  /** The device's behaviour takes the rotation to the step that needs the grant. */
  readonly behaviour: BehaviourName;
  /** The state the execution fails at. */
  readonly state: string;
  /** How many times that state's task fails: once, unless the step's retrier retries the error. */
  readonly attempts?: number;
}

/** A refused Lambda Invoke is retried by the Lambda states' retrier, then fails the state. */
export const INVOKE_DENIED = 'Lambda.AWSLambdaException';
export const INVOKE_ATTEMPTS = 1 + SETTINGS.TransientRetryMaxAttempts.default;

/** Revoking a refused certificate and retiring an old one make the same calls, in this order. */
const CERTIFICATE_REMOVAL_GRANTS = [
  ['dynamodb:GetItem', DENIED, ROTATIONS],
  ['iot:DetachThingPrincipal', DENIED],
  ['iot:DetachPolicy', DENIED],
  ['iot:UpdateCertificate', DENIED],
  ['iot:DeleteCertificate', DENIED],
  ['dynamodb:UpdateItem', DENIED, ROTATIONS],
] as const;

export const ROTATION_STEP_CASES: readonly StepCase[] = [
  // The state machine's own DynamoDB integration, before any function runs.
  ...rows('state-machine:rotate-device', [['dynamodb:UpdateItem', `DynamoDB.${DENIED}`, ROTATIONS]], {
    behaviour: 'healthy',
    state: 'ClaimThing',
  }),
  ...rows(
    'function:request-csr',
    [
      ['dynamodb:UpdateItem', DENIED, ROTATIONS],
      ['iot:Publish', DATA_PLANE_DENIED],
    ],
    { behaviour: 'healthy', state: 'RequestCsr' },
  ),
  // Its first Lambda state: the role may not invoke request-csr. After cases whose Invoke was allowed
  // and before more that need it, so a decision kept across setPolicies shows either way.
  ...rows('state-machine:rotate-device', [['lambda:InvokeFunction', INVOKE_DENIED]], {
    behaviour: 'healthy',
    state: 'RequestCsr',
    attempts: INVOKE_ATTEMPTS,
  }),
  // In the order the step makes the calls: the old certificate, its policies, the issuance marker,
  // the new certificate, its attachments, then crt_res.
  ...rows(
    'function:issue-certificate',
    [
      ['iot:DescribeCertificate', DENIED],
      ['iot:ListAttachedPolicies', DENIED],
      ['dynamodb:UpdateItem', DENIED, ROTATIONS],
      ['iot:CreateCertificateFromCsr', DENIED],
      ['iot:AttachPolicy', DENIED],
      ['iot:AttachThingPrincipal', DENIED],
      ['iot:Publish', DATA_PLANE_DENIED],
    ],
    { behaviour: 'healthy', state: 'IssueAndDeliver' },
  ),
  // A rejected CSR (a 1024-bit RSA key) is recorded against the record read back first.
  ...rows('function:issue-certificate', [['dynamodb:GetItem', DENIED, ROTATIONS]], {
    behaviour: 'weak_key',
    state: 'IssueAndDeliver',
  }),
  // crt_err sends the refused certificate to the revoke step.
  ...rows('function:revoke-certificate', CERTIFICATE_REMOVAL_GRANTS, {
    behaviour: 'crt_err',
    state: 'RevokeNewCertificate',
  }),
  ...rows('function:retire-certificate', CERTIFICATE_REMOVAL_GRANTS, {
    behaviour: 'healthy',
    state: 'RetireOldCertificate',
  }),
];

// ---- a function behind an IoT rule fails: the rotation waits (device-messages.test.ts) ----

export const REPLIES_RULE = 'recert_device_replies';
export const CONNECTED_RULE = 'recert_device_connected';

export interface RuleCase extends GrantCase {
  readonly behaviour: BehaviourName;
  /** Instead: a device of the bare blog protocol, whose csr_res carries no rotationId. */
  readonly bareProtocol?: boolean;
  /** The device is away when the CSR is requested and connects afterwards (the reconnect path). */
  readonly awayAtRequest: boolean;
  /** The rule whose Lambda action fails every attempt. */
  readonly rule: typeof REPLIES_RULE | typeof CONNECTED_RULE;
  /** The state the execution is left waiting in. */
  readonly waitsIn: string;
  /** The record's phase meanwhile: a reply accepted but never answered, or the wait still open. */
  readonly phase: string;
}

export const RULE_CASES: readonly RuleCase[] = [
  // csr_res is accepted in the record, but Step Functions never hears of it.
  ...rows('function:device-reply', [['states:SendTaskSuccess', DENIED]], {
    behaviour: 'healthy',
    awayAtRequest: false,
    rule: REPLIES_RULE,
    waitsIn: 'RequestCsr',
    phase: 'CSR_RECEIVED',
  }),
  // A reply without rotationId is matched to the record's rotation, which is read first.
  ...rows('function:device-reply', [['dynamodb:GetItem', DENIED, ROTATIONS]], {
    behaviour: 'healthy',
    bareProtocol: true,
    awayAtRequest: false,
    rule: REPLIES_RULE,
    waitsIn: 'RequestCsr',
    phase: 'AWAITING_CSR',
  }),
  // The write that accepts the reply is refused: nothing is recorded either.
  ...rows('function:device-reply', [['dynamodb:UpdateItem', DENIED, ROTATIONS]], {
    behaviour: 'healthy',
    awayAtRequest: false,
    rule: REPLIES_RULE,
    waitsIn: 'RequestCsr',
    phase: 'AWAITING_CSR',
  }),
  // crt_err is the one reply answered with SendTaskFailure.
  ...rows('function:device-reply', [['states:SendTaskFailure', DENIED]], {
    behaviour: 'crt_err',
    awayAtRequest: false,
    rule: REPLIES_RULE,
    waitsIn: 'IssueAndDeliver',
    phase: 'DEVICE_ERROR',
  }),
  ...rows(
    'function:on-reconnect',
    [
      ['dynamodb:GetItem', DENIED, ROTATIONS],
      ['iot:Publish', DATA_PLANE_DENIED],
    ],
    {
      behaviour: 'healthy',
      awayAtRequest: true,
      rule: CONNECTED_RULE,
      waitsIn: 'RequestCsr',
      phase: 'AWAITING_CSR',
    },
  ),
];

// ---- the outcome recorder fails its EventBridge delivery (device-messages.test.ts) ----

export interface RecorderCase extends GrantCase {
  /**
   * How the rotation ends: `failed` at RequestCsr (request-csr may not publish, the extra removal),
   * or `aborted` by an operator while its device has not proved the new certificate.
   */
  readonly ending: 'failed' | 'aborted';
}

export const RECORDER_CASES: readonly RecorderCase[] = [
  ...rows(
    'function:outcome-recorder',
    [
      ['dynamodb:UpdateItem', DENIED, ROTATIONS],
      ['sns:Publish', SNS_DENIED],
    ],
    { ending: 'failed' },
  ),
  // An aborted rotation's unproven certificate is taken out of service, every call of it.
  ...rows(
    'function:outcome-recorder',
    [
      ['iot:DescribeCertificate', DENIED],
      ['iot:DetachThingPrincipal', DENIED],
      ['iot:ListAttachedPolicies', DENIED],
      ['iot:DetachPolicy', DENIED],
      ['iot:UpdateCertificate', DENIED],
      ['iot:DeleteCertificate', DENIED],
    ],
    { ending: 'aborted' },
  ),
];

/** What makes a rotation end FAILED at RequestCsr for the recorder cases. */
export const FAIL_AT_REQUEST: Removal = { identity: 'function:request-csr', action: 'iot:Publish' };

// ---- Lambda resource-based policies (device-messages.test.ts, campaign.test.ts) ----

export interface PermissionCase {
  /** The statement the stack adds to the function's policy. */
  readonly statementId: string;
  /** The service principal that may no longer invoke it. */
  readonly service: string;
}

export const REPLIES_PERMISSION: PermissionCase = {
  statementId: `invoked-by-${REPLIES_RULE}`,
  service: 'iot.amazonaws.com',
};
export const CONNECTED_PERMISSION: PermissionCase = {
  statementId: `invoked-by-${CONNECTED_RULE}`,
  service: 'iot.amazonaws.com',
};
export const STATUS_CHANGE_PERMISSION: PermissionCase = {
  statementId: 'invoked-by-recert-rotation-status-change',
  service: 'events.amazonaws.com',
};
export const AUDIT_TOPIC_PERMISSION: PermissionCase = {
  statementId: 'invoked-by-recert-audit-notifications',
  service: 'sns.amazonaws.com',
};

// ---- an audit's campaign (campaign.test.ts) ----

export interface CampaignCase extends GrantCase {
  /**
   * Where it shows: no campaign starts (the audit's notification, or the fan-out's SNS delivery,
   * fails); the campaign fails at a state; or a rotation it started fails at a state.
   */
  readonly shows: 'notification' | 'fan-out' | 'campaign' | 'rotation' | 'recorder';
  /** The state that fails, for `campaign` and `rotation`; one of them when branches race. */
  readonly states?: readonly string[];
  /** How many times that state's task fails (once unless retried). */
  readonly attempts?: number;
}

export const CAMPAIGN_CASES: readonly CampaignCase[] = [
  ...rows('device-defender:notifications', [['sns:Publish', SNS_DENIED]], { shows: 'notification' }),
  ...rows('function:audit-fanout', [['states:StartExecution', DENIED]], { shows: 'fan-out' }),
  ...rows(
    'function:campaign-enqueue',
    [
      ['dynamodb:UpdateItem', DENIED],
      ['dynamodb:GetItem', DENIED],
      ['iot:ListAuditFindings', DENIED],
      ['dynamodb:BatchWriteItem', DENIED],
    ],
    { shows: 'campaign', states: ['Enqueue'] },
  ),
  ...rows(
    'function:campaign-pacer',
    [
      ['dynamodb:GetItem', DENIED],
      ['dynamodb:Query', DENIED],
      ['iot:ListPrincipalThings', DENIED],
      ['states:StartExecution', DENIED, 'stateMachine:recert-rotate-device'],
      ['dynamodb:UpdateItem', DENIED],
    ],
    { shows: 'campaign', states: ['Pace'] },
  ),
  // Enqueue and Pace run side by side: whichever branch runs out of retries first fails the campaign.
  // Between cases that invoke both, so a decision kept across setPolicies shows either way.
  ...rows('state-machine:campaign', [['lambda:InvokeFunction', INVOKE_DENIED]], {
    shows: 'campaign',
    states: ['Enqueue', 'Pace'],
    attempts: INVOKE_ATTEMPTS,
  }),
  // A campaign's rotation is counted in its campaign by the retire step and by the recorder.
  ...rows('function:retire-certificate', [['dynamodb:UpdateItem', DENIED, CAMPAIGNS]], {
    shows: 'rotation',
    states: ['RetireOldCertificate'],
  }),
  ...rows('function:outcome-recorder', [['dynamodb:UpdateItem', DENIED, CAMPAIGNS]], {
    shows: 'recorder',
  }),
];

// ---- the retired-certificate sweeper and the grace period (grace-period.test.ts) ----

export interface GraceCase extends GrantCase {
  /**
   * Where it shows: the retire step fails; the sweeper's run logs the certificate it could not
   * delete; or the scheduled run itself fails.
   */
  readonly shows: 'retire' | 'sweep-log' | 'scheduled-run';
  /** Something is attached to the retired certificate again, so the sweeper detaches first. */
  readonly reattached?: boolean;
}

export const GRACE_CASES: readonly GraceCase[] = [
  // Recorded before the certificate is touched: the "delete after" entry in its own partition.
  ...rows('function:retire-certificate', [['dynamodb:PutItem', DENIED, CAMPAIGNS]], {
    shows: 'retire',
  }),
  ...rows('function:retired-certificate-sweeper', [['dynamodb:Query', DENIED]], {
    shows: 'scheduled-run',
  }),
  ...rows('function:retired-certificate-sweeper', [['iot:DeleteCertificate', DENIED]], {
    shows: 'sweep-log',
  }),
  ...rows('function:retired-certificate-sweeper', [['dynamodb:DeleteItem', DENIED]], {
    shows: 'scheduled-run',
  }),
  // The delete conflicts with what was attached since: the sweeper looks and detaches first.
  ...rows(
    'function:retired-certificate-sweeper',
    [
      ['iot:DescribeCertificate', DENIED],
      ['iot:ListPrincipalThings', DENIED],
      ['iot:DetachThingPrincipal', DENIED],
      ['iot:ListAttachedPolicies', DENIED],
      ['iot:DetachPolicy', DENIED],
    ],
    { shows: 'sweep-log', reattached: true },
  ),
];

// ---- grants no scenario here exercises, and why ----

export interface UncoveredGrant {
  readonly identity: IdentityId;
  readonly action: string;
  readonly onResource?: string;
  readonly why: string;
}

const LOGS = 'the local AWS has no CloudWatch Logs: Lambda writes no log streams with the role';
const KMS = 'the local topics are not encrypted: SNS makes no KMS call for the publisher';

export const NOT_EXERCISED: readonly UncoveredGrant[] = [
  // Every function writes its logs with its role.
  ...DEPLOYED_FUNCTION_IDS.flatMap((fn) =>
    ['logs:CreateLogStream', 'logs:PutLogEvents'].map((action) => ({
      identity: functionIdentity(fn),
      action,
      why: LOGS,
    })),
  ),
  { identity: 'function:outcome-recorder', action: 'kms:Decrypt', why: KMS },
  { identity: 'function:outcome-recorder', action: 'kms:GenerateDataKey', why: KMS },
  { identity: 'device-defender:notifications', action: 'kms:Decrypt', why: KMS },
  { identity: 'device-defender:notifications', action: 'kms:GenerateDataKey', why: KMS },
  {
    identity: 'function:request-csr',
    action: 'dynamodb:GetItem',
    onResource: ROTATIONS,
    why: 'read only after a refused conditional write (another execution took the record over)',
  },
  {
    identity: 'function:request-csr',
    action: 'dynamodb:UpdateItem',
    onResource: CAMPAIGNS,
    why: 'parking after a CSR timeout is bookkeeping: a refusal is logged and counted, never fails the step',
  },
  {
    identity: 'function:device-reply',
    action: 'dynamodb:UpdateItem',
    onResource: CAMPAIGNS,
    why: 'unparking a parked rotation is bookkeeping: a refusal is logged and counted, never fails the reply',
  },
  ...['iot:UpdateCertificate', 'iot:DeleteCertificate'].map((action) => ({
    identity: 'function:issue-certificate' as IdentityId,
    action,
    why: 'cleanup of a certificate issued while another execution took the record over; its failure is logged only',
  })),
  ...['iot:DescribeCertificate', 'iot:ListAttachedPolicies'].flatMap((action) =>
    (['function:revoke-certificate', 'function:retire-certificate'] as IdentityId[]).map((identity) => ({
      identity,
      action,
      why: 'only for a certificate whose ARN and policies the record does not hold (a record from before they were recorded)',
    })),
  ),
  {
    identity: 'function:outcome-recorder',
    action: 'dynamodb:GetItem',
    onResource: ROTATIONS,
    why: 'read only when the record is not that execution any more (a redelivered event, a newer rotation)',
  },
  {
    identity: 'function:campaign-pacer',
    action: 'states:StartExecution',
    onResource: 'stateMachine:recert-campaign',
    why: 'the hand-over to a fresh campaign execution comes after CampaignTurnsPerExecution (250) turns with work left',
  },
];
