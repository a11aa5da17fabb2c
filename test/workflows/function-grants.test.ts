import { describe, expect, it } from 'vitest';
import {
  DEPLOYED_FUNCTION_IDS,
  type DeployedFunctionId,
  functionGrants,
  functionSpec,
} from '../../workflows/access/identity-policies.ts';
import { ISSUER_KINDS, type IssuerKind } from '../../workflows/rotate-device/api-calls.ts';
import type { Grant, ResourceRole } from '../../workflows/rotate-device/functions.ts';
import { actionsReachable } from './helpers/sdk-calls.ts';

/** One call a function's code sends: its IAM action, on what, within which partition keys. */
type Call = readonly [action: string, resource: ResourceRole, leadingKey?: string];
interface Calls {
  readonly always: readonly Call[];
  readonly 'aws-iot'?: readonly Call[];
  readonly 'acm-pca'?: readonly Call[];
}

/** Taking a certificate out of service: workflows/rotate-device/certificates.ts `removeCertificate`. */
const REMOVE_CERTIFICATE: readonly Call[] = [
  ['iot:DescribeCertificate', 'iotCertificates'],
  ['iot:DetachThingPrincipal', 'iotCertificates'],
  ['iot:ListAttachedPolicies', 'any'],
  ['iot:DetachPolicy', 'iotCertificates'],
  ['iot:UpdateCertificate', 'iotCertificates'],
  ['iot:DeleteCertificate', 'iotCertificates'],
];
/** RotationRecordStore: `get` reads the record (and explains a refused write), the rest update it. */
const ROTATION_RECORD: readonly Call[] = [
  ['dynamodb:GetItem', 'rotationTable'],
  ['dynamodb:UpdateItem', 'rotationTable'],
];
/** CampaignCounters: the campaign's counters and the rotation's own item. */
const CAMPAIGN_COUNTERS: Call = ['dynamodb:UpdateItem', 'campaignTable'];

/**
 * What each function's code sends, read from functions/ (every `Command(` and DynamoDB builder on
 * its paths), by the resource each call names. A call missing here fails the test against the
 * function's grants; a call in its modules that is neither here nor in NOT_SENT fails it too.
 */
const CALLS: Readonly<Record<DeployedFunctionId, Calls>> = {
  'audit-fanout': { always: [['states:StartExecution', 'campaignStateMachine']] },
  'request-csr': {
    always: [...ROTATION_RECORD, ['iot:Publish', 'managementTopics'], CAMPAIGN_COUNTERS],
  },
  'issue-certificate': {
    always: [
      ...ROTATION_RECORD,
      ['iot:DescribeCertificate', 'iotCertificates'],
      ['iot:ListAttachedPolicies', 'any'],
      ['iot:AttachPolicy', 'iotCertificates'],
      ['iot:AttachThingPrincipal', 'iotCertificates'],
      // The cleanup of a certificate the record could not take.
      ['iot:UpdateCertificate', 'iotCertificates'],
      ['iot:DeleteCertificate', 'iotCertificates'],
      ['iot:Publish', 'managementTopics'],
    ],
    'aws-iot': [['iot:CreateCertificateFromCsr', 'any']],
    'acm-pca': [
      ['acm-pca:DescribeCertificateAuthority', 'privateCertificateAuthority'],
      ['acm-pca:IssueCertificate', 'privateCertificateAuthority'],
      ['acm-pca:GetCertificate', 'privateCertificateAuthority'],
      ['iot:RegisterCertificateWithoutCA', 'any'],
    ],
  },
  'device-reply': {
    always: [
      ...ROTATION_RECORD,
      ['states:SendTaskSuccess', 'any'],
      ['states:SendTaskFailure', 'any'],
      CAMPAIGN_COUNTERS,
    ],
  },
  'revoke-certificate': { always: [...ROTATION_RECORD, ...REMOVE_CERTIFICATE] },
  'retire-certificate': {
    always: [
      ...ROTATION_RECORD,
      ...REMOVE_CERTIFICATE,
      ['dynamodb:PutItem', 'campaignTable', '#retired'],
      CAMPAIGN_COUNTERS,
    ],
  },
  'on-reconnect': {
    always: [
      ['dynamodb:GetItem', 'rotationTable'],
      ['iot:Publish', 'managementTopics'],
    ],
  },
  'outcome-recorder': {
    always: [
      ...ROTATION_RECORD,
      ['sns:Publish', 'escalationTopic'],
      // The escalation topic is encrypted: SNS uses its key for the publisher.
      ['kms:Decrypt', 'topicKey'],
      ['kms:GenerateDataKey', 'topicKey'],
      CAMPAIGN_COUNTERS,
      ...REMOVE_CERTIFICATE,
    ],
  },
  'retired-certificate-sweeper': {
    always: [
      ['dynamodb:Query', 'campaignTable', '#retired'],
      ['dynamodb:DeleteItem', 'campaignTable', '#retired'],
      ['iot:DescribeCertificate', 'iotCertificates'],
      ['iot:ListPrincipalThings', 'iotCertificates'],
      ['iot:DetachThingPrincipal', 'iotCertificates'],
      ['iot:ListAttachedPolicies', 'any'],
      ['iot:DetachPolicy', 'iotCertificates'],
      ['iot:DeleteCertificate', 'iotCertificates'],
    ],
  },
  'campaign-enqueue': {
    always: [
      ['dynamodb:GetItem', 'campaignTable'],
      ['dynamodb:UpdateItem', 'campaignTable'],
      ['dynamodb:BatchWriteItem', 'campaignTable'],
      ['iot:ListAuditFindings', 'any'],
    ],
  },
  'campaign-pacer': {
    always: [
      ['dynamodb:GetItem', 'campaignTable'],
      ['dynamodb:UpdateItem', 'campaignTable'],
      ['dynamodb:Query', 'campaignTable'],
      ['iot:ListPrincipalThings', 'iotCertificates'],
      ['states:StartExecution', 'stateMachine'],
      // The hand-over to a fresh campaign execution.
      ['states:StartExecution', 'campaignStateMachine'],
    ],
  },
};

/**
 * Commands in a function's modules that it never sends, each with why: a shared module whose
 * other functions another caller uses.
 */
const NOT_SENT: Readonly<Partial<Record<DeployedFunctionId, Readonly<Record<string, string>>>>> = {
  'issue-certificate': {
    'iot:DetachPolicy': 'certificates.ts `removeCertificate`, which revoke and retire call',
    'iot:DetachThingPrincipal': 'certificates.ts `removeCertificate`, which revoke and retire call',
  },
  'retire-certificate': {
    'dynamodb:Query': 'retired-entries.ts `due`, which only the sweeper calls',
    'dynamodb:DeleteItem': 'retired-entries.ts `remove`, which only the sweeper calls',
  },
  'on-reconnect': { 'dynamodb:UpdateItem': 'rotation-record.ts writes; on-reconnect only reads the record' },
  'retired-certificate-sweeper': {
    'dynamodb:PutItem': 'retired-entries.ts `put`, which only retire calls',
    'iot:UpdateCertificate': 'certificates.ts `removeCertificate`, which revoke and retire call',
  },
  'campaign-enqueue': { 'dynamodb:Query': 'campaign-store.ts `queue`, which only the pacer calls' },
  'campaign-pacer': {
    'dynamodb:BatchWriteItem': 'campaign-store.ts `writeEntries`, which only enqueue calls',
  },
};

const key = (action: string, resource: ResourceRole, leadingKey?: string) =>
  `${action} on ${resource}${leadingKey === undefined ? '' : ` (${leadingKey})`}`;
const callsOf = (fid: DeployedFunctionId, issuer: IssuerKind): string[] =>
  [...CALLS[fid].always, ...(CALLS[fid][issuer] ?? [])].map(([a, r, k]) => key(a, r, k)).sort();
const grantsOf = (grants: readonly Grant[]): string[] =>
  grants
    .flatMap((g) =>
      g.actions.flatMap((a) => (g.leadingKeys ?? [undefined]).map((k) => key(a, g.resource, k))),
    )
    .sort();

describe("each function's grants are exactly the calls its code sends", () => {
  const cases = ISSUER_KINDS.flatMap((issuer) =>
    DEPLOYED_FUNCTION_IDS.map((fid): [DeployedFunctionId, IssuerKind] => [fid, issuer]),
  );

  it.each(cases)('%s (issuer %s): one grant per call, on the resource it names', (fid, issuer) => {
    // Prepare
    const expected = [...new Set(callsOf(fid, issuer))];

    // Act
    const granted = grantsOf(functionGrants(fid, issuer));

    // Assess
    expect(granted).toEqual(expected);
  });

  it.each(DEPLOYED_FUNCTION_IDS)('%s: every call of the table is in its code, and nothing else is', (fid) => {
    // Prepare
    const listed = new Set(
      ISSUER_KINDS.flatMap((issuer) => [...CALLS[fid].always, ...(CALLS[fid][issuer] ?? [])]).map(([a]) => a),
    );
    const notSent = NOT_SENT[fid] ?? {};

    // Act
    const inCode = [...actionsReachable([functionSpec(fid).entry]).keys()].sort();

    // Assess
    const kms = (a: string) => a.startsWith('kms:'); // SNS calls KMS for the publisher, not the code
    expect([...listed].filter((a) => !kms(a) && !inCode.includes(a))).toEqual([]);
    expect(inCode.filter((a) => !listed.has(a) && notSent[a] === undefined)).toEqual([]);
    expect(Object.keys(notSent).filter((a) => !inCode.includes(a) || listed.has(a))).toEqual([]);
  });
});
