import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ISSUER_ENV } from '../../infra/constructs/workflow-functions.ts';
import { IDENTITY_IDS, identityStatements } from '../../workflows/access/identity-policies.ts';
import {
  cdkOwnStatements,
  deployedStatements,
  normalise,
  placeholderArns,
} from './helpers/identity-template.ts';
import { cfnArn, logicalId, statementsOfRole, useSynthesis } from './helpers/synth.ts';

const CA_ARN =
  'arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555';
const ENDPOINT = 'a1b2c3d4e5f6g7-ats.iot.eu-west-1.amazonaws.com';

const s = useSynthesis(
  {
    'recert:issuer': 'acm-pca',
    'recert:privateCaArn': CA_ARN,
    'recert:certificateValidityDays': '90',
    'recert:iotDataEndpoint': ENDPOINT,
    'recert:auditChecks': 'DEVICE_CERTIFICATE_AGE_CHECK',
    'recert:auditAgeThresholdDays': '180',
    'recert:CsrTimeoutSeconds': '7200',
    'recert:MaxCertificateAttempts': '5',
    'recert:oldCertificateGraceDays': '14',
    'recert:stateMachineName': 'fleet-a-rotate-device',
  },
  { validate: false },
);

describe('a deployment with ACM Private CA and its own settings', () => {
  it('lets the issue function use that CA only, and register what it issues', () => {
    // Prepare
    const fn = s.stack.workflowFunctions;

    // Act
    const statements = statementsOfRole(s.template, logicalId(fn.roles['issue-certificate']));

    // Assess
    expect(statements).toContainEqual({
      Action: ['acm-pca:DescribeCertificateAuthority', 'acm-pca:IssueCertificate', 'acm-pca:GetCertificate'],
      Effect: 'Allow',
      Resource: CA_ARN,
    });
    expect(statements).toContainEqual({
      Action: 'iot:RegisterCertificateWithoutCA',
      Effect: 'Allow',
      Resource: '*',
    });
    // It publishes crt_res to the device's management topics, and nowhere else.
    expect(statements.filter((st) => JSON.stringify(st).includes('"iot:Publish"'))).toEqual([
      { Action: 'iot:Publish', Effect: 'Allow', Resource: cfnArn('iot', 'topic/management/topic/*') },
    ]);
    const other = statementsOfRole(s.template, logicalId(fn.roles['retire-certificate']));
    expect(JSON.stringify(other)).not.toContain('acm-pca');
  });

  it('tells the issue function which CA and validity to use, and the others their settings', () => {
    const fns = s.template.findResources('AWS::Lambda::Function');
    const envOf = (id: string) => fns[id]?.Properties.Environment.Variables;
    const f = s.stack.workflowFunctions.functions;
    expect(envOf(logicalId(f['issue-certificate']))).toMatchObject({
      [ISSUER_ENV.issuer]: 'acm-pca',
      [ISSUER_ENV.privateCaArn]: CA_ARN,
      [ISSUER_ENV.validityDays]: '90',
    });
    // With a grace period, retire records each kept certificate in the campaign table for the sweeper.
    expect(envOf(logicalId(f['retire-certificate']))).toMatchObject({
      OLD_CERTIFICATE_GRACE_DAYS: '14',
      CAMPAIGN_TABLE_NAME: { Ref: logicalId(s.stack.campaignTable.table) },
    });
    // The fan-out paces campaigns by the private CA's calls (RegisterCertificateWithoutCA, not
    // CreateCertificateFromCsr), as the synthesis did.
    expect(envOf(logicalId(f['audit-fanout']))).toMatchObject({
      AUDIT_CHECK_NAMES: 'DEVICE_CERTIFICATE_AGE_CHECK',
      CAMPAIGN_STATE_MACHINE_ARN: cfnArn('states', 'stateMachine:recert-campaign'),
      [ISSUER_ENV.issuer]: 'acm-pca',
    });
    // The fan-out starts campaigns, never rotations: it is not told the rotation state machine.
    expect(envOf(logicalId(f['audit-fanout']))).not.toHaveProperty('STATE_MACHINE_ARN');
    expect(envOf(logicalId(f['request-csr']))).toMatchObject({ IOT_DATA_ENDPOINT: `https://${ENDPOINT}` });
    // The issue function sends crt_res itself (the IssueAndDeliver state).
    expect(envOf(logicalId(f['issue-certificate']))).toMatchObject({
      IOT_DATA_ENDPOINT: `https://${ENDPOINT}`,
    });
  });

  it('uses the given IoT endpoint instead of looking it up', () => {
    expect(Object.keys(s.template.findResources('Custom::AWS'))).toEqual([]);
  });

  it('bakes the settings into the definition CloudFormation receives', () => {
    const sm = s.template.findResources('AWS::StepFunctions::StateMachine')[
      logicalId(s.stack.rotation.stateMachine)
    ]?.Properties;
    expect(sm.StateMachineName).toBe('fleet-a-rotate-device');
    const definition = JSON.parse(
      readFileSync(join(s.outdir, `asset.${sm.DefinitionS3Location.Key}`), 'utf8'),
    );
    expect(definition.States.RequestCsr.TimeoutSeconds).toBe(7200);
    expect(definition.States.RequestCsr.Arguments.Payload.maxAttempts).toContain('5 * ');
  });

  it('audits and schedules only the chosen check, with its threshold', () => {
    const [configuration] = Object.values(s.template.findResources('Custom::RecertAuditConfiguration'));
    expect(configuration?.Properties.Checks).toEqual({
      DEVICE_CERTIFICATE_AGE_CHECK: { CERT_AGE_THRESHOLD_IN_DAYS: '180' },
    });
    s.template.hasResourceProperties('AWS::IoT::ScheduledAudit', {
      TargetCheckNames: ['DEVICE_CERTIFICATE_AGE_CHECK'],
    });
  });

  it('narrows the outcome events to the renamed state machine', () => {
    s.template.hasResourceProperties('AWS::Events::Rule', {
      EventPattern: { detail: { stateMachineArn: [{ Ref: logicalId(s.stack.rotation.stateMachine) }] } },
    });
  });

  it('still has no unacknowledged cdk-nag finding', () => {
    expect(s.findings).toEqual([]);
  });
});

describe('the identities of a private-CA deployment', () => {
  it.each(
    IDENTITY_IDS.filter((id) => id !== 'operator'),
  )('%s: exactly its contract statements for acm-pca, plus what CDK adds on its own', (id) => {
    // Prepare
    const expected = identityStatements(id, placeholderArns(s, CA_ARN), { issuer: 'acm-pca' }).map(normalise);

    // Act
    const { own, rest } = deployedStatements(s, id);

    // Assess
    expect(rest).toEqual(expected);
    expect(own).toEqual(cdkOwnStatements(id));
  });

  it('the issue function may not call CreateCertificateFromCsr, which a private CA never needs', () => {
    const statements = statementsOfRole(
      s.template,
      logicalId(s.stack.workflowFunctions.roles['issue-certificate']),
    );
    expect(JSON.stringify(statements)).not.toContain('CreateCertificateFromCsr');
  });
});
