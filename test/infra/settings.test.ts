import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  deploymentSettings,
  InvalidDeploymentSettingError,
  settingsFromContext,
} from '../../infra/settings.ts';
import { CAMPAIGN_STATE_MACHINE, derivePacing } from '../../workflows/campaign/contract.ts';
import { CAMPAIGN_SETTINGS } from '../../workflows/campaign/settings.ts';
import { SETTINGS } from '../../workflows/rotate-device/contract.ts';

const contextOf = (values: Record<string, unknown>) => (key: string) => values[key];

describe('deployment settings', () => {
  it('defaults to the contract settings, both audit checks and the AWS IoT issuer', () => {
    // Prepare / Act
    const settings = settingsFromContext(contextOf({}));

    // Assess
    expect(settings.workflow.CsrTimeoutSeconds).toBe(SETTINGS.CsrTimeoutSeconds.default);
    expect(settings.workflow.MaxCertificateAttempts).toBe(SETTINGS.MaxCertificateAttempts.default);
    expect(settings.audit).toEqual({
      checks: ['DEVICE_CERTIFICATE_EXPIRING_CHECK', 'DEVICE_CERTIFICATE_AGE_CHECK'],
      expiringThresholdDays: 30,
      ageThresholdDays: 365,
      scheduledAuditName: 'recert-daily-certificate-audit',
    });
    expect(settings.issuer).toEqual({ kind: 'aws-iot' });
    expect(settings.stateMachineName).toBe('recert-rotate-device');
    expect(settings.iotDataEndpoint).toBeUndefined();
  });

  it('reads workflow settings and options from recert: context keys given as strings (cdk -c)', () => {
    // Prepare
    const read = contextOf({
      'recert:CsrTimeoutSeconds': '7200',
      'recert:MaxCertificateAttempts': 5,
      'recert:auditChecks': 'DEVICE_CERTIFICATE_AGE_CHECK',
      'recert:auditAgeThresholdDays': '180',
      'recert:issuer': 'acm-pca',
      'recert:privateCaArn':
        'arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555',
      'recert:certificateValidityDays': '90',
      'recert:oldCertificateGraceDays': '7',
      'recert:csrRequireCnMatch': 'false',
      'recert:iotDataEndpoint': 'abc123-ats.iot.eu-west-1.amazonaws.com',
    });

    // Act
    const settings = settingsFromContext(read);

    // Assess
    expect(settings.workflow.CsrTimeoutSeconds).toBe(7200);
    expect(settings.workflow.MaxCertificateAttempts).toBe(5);
    expect(settings.audit.checks).toEqual(['DEVICE_CERTIFICATE_AGE_CHECK']);
    expect(settings.audit.ageThresholdDays).toBe(180);
    expect(settings.issuer).toEqual({
      kind: 'acm-pca',
      certificateAuthorityArn:
        'arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555',
      validityDays: 90,
    });
    expect(settings.oldCertificateGraceDays).toBe(7);
    expect(settings.csrRequireCnMatch).toBe(false);
    expect(settings.iotDataEndpoint).toBe('abc123-ats.iot.eu-west-1.amazonaws.com');
  });

  it("derives a private CA deployment's pacing from its own calls' quotas", () => {
    // Prepare: the 10 TPS certificate APIs raised, so that issuing is the tightest step.
    const quotas = {
      'iot:UpdateCertificate': 50,
      'iot:DeleteCertificate': 50,
      'iot:DescribeCertificate': 50,
      'iot:ListPrincipalThings': 50,
    };
    const privateCa = {
      'recert:issuer': 'acm-pca',
      'recert:privateCaArn':
        'arn:aws:acm-pca:eu-west-1:123456789012:certificate-authority/11111111-2222-3333-4444-555555555555',
      'recert:pacingQuotas': JSON.stringify(quotas),
    };
    // Act
    const settings = settingsFromContext(contextOf(privateCa));
    const awsIot = settingsFromContext(contextOf({ 'recert:pacingQuotas': JSON.stringify(quotas) }));
    // Assess
    expect(settings.pacing.derived.limitedBy.api).toBe('iot:RegisterCertificateWithoutCA');
    expect(settings.pacing.derived.startsPerSecond).toBeCloseTo(9.5, 9);
    // AWS IoT's CA: the 15 TPS APIs (CreateCertificateFromCsr among them) limit it.
    expect(awsIot.pacing.derived.limitedBy.rotationsPerSecond).toBe(15);
    expect(awsIot.pacing.derived.startsPerSecond).toBeCloseTo(14.25, 9);
  });

  it.each([
    [{ 'recert:CsrTimeoutSeconds': 'soon' }, /recert:CsrTimeoutSeconds must be a number/],
    [{ 'recert:CsrTimeoutSeconds': '0' }, /CsrTimeoutSeconds must be within/],
    [{ 'recert:auditChecks': 'LOGGING_DISABLED_CHECK' }, /recert:auditChecks/],
    [{ 'recert:auditAgeThresholdDays': '10' }, /recert:auditAgeThresholdDays/],
    [{ 'recert:issuer': 'acm-pca' }, /needs recert:privateCaArn/],
    [{ 'recert:privateCaArn': 'arn:aws:s3:::bucket' }, /recert:privateCaArn/],
    [{ 'recert:logRetentionDays': '42' }, /recert:logRetentionDays/],
    [{ 'recert:stateMachineName': 'has spaces' }, /recert:stateMachineName/],
    [{ 'recert:iotDataEndpoint': 'https://evil.example' }, /recert:iotDataEndpoint/],
  ])('rejects %o with an error naming the key', (context, message) => {
    // Prepare / Act / Assess
    expect(() => settingsFromContext(contextOf(context))).toThrow(InvalidDeploymentSettingError);
    expect(() => settingsFromContext(contextOf(context))).toThrow(message);
  });

  it('paces campaigns from the AWS default quotas unless told otherwise, and passes no override on', () => {
    // Prepare / Act
    const settings = settingsFromContext(contextOf({}));

    // Assess
    expect(settings.pacing.overrides).toEqual({});
    expect(settings.pacing.quotas).toEqual({});
    expect(settings.pacing.headroom).toBeUndefined();
    expect(settings.pacing.derived).toEqual(derivePacing());
    expect(settings.campaign.CampaignTurnsPerExecution).toBe(
      CAMPAIGN_SETTINGS.CampaignTurnsPerExecution.default,
    );
    expect(settings.campaignStateMachineName).toBe(CAMPAIGN_STATE_MACHINE.name);
  });

  it('reads pacing overrides, raised quotas (JSON text or an object) and the headroom from context', () => {
    // Prepare
    const asText = contextOf({
      'recert:pacingStartsPerSecond': '4.5',
      'recert:pacingMaxInFlight': '300',
      'recert:pacingFailureRateThreshold': '0.25',
      'recert:pacingMinFinished': '50',
      'recert:pacingQuotas': '{"iot:CreateCertificateFromCsr": 60, "iot:UpdateCertificate": 40}',
      'recert:pacingHeadroom': '0.8',
      'recert:CampaignTurnsPerExecution': '120',
    });
    const asObject = contextOf({ 'recert:pacingQuotas': { 'iot:DeleteCertificate': 25 } });

    // Act
    const text = settingsFromContext(asText);
    const object = settingsFromContext(asObject);

    // Assess
    expect(text.pacing.overrides).toEqual({
      startsPerSecond: 4.5,
      maxInFlight: 300,
      failureRateThreshold: 0.25,
      minFinishedForFailureRate: 50,
    });
    expect(text.pacing.quotas).toEqual({ 'iot:CreateCertificateFromCsr': 60, 'iot:UpdateCertificate': 40 });
    expect(text.pacing.headroom).toBe(0.8);
    expect(text.pacing.derived).toMatchObject({ startsPerSecond: 4.5, maxInFlight: 300, headroom: 0.8 });
    expect(text.campaign.CampaignTurnsPerExecution).toBe(120);
    expect(object.pacing.quotas).toEqual({ 'iot:DeleteCertificate': 25 });
    // A raised quota moves the derived rate: the same derivation the fan-out runs.
    expect(object.pacing.derived).toEqual(derivePacing({ quotas: { 'iot:DeleteCertificate': 25 } }));
  });

  it.each([
    [
      { 'recert:pacingStartsPerSecond': '0' },
      /recert:pacingStartsPerSecond: startsPerSecond must be a positive/,
    ],
    [{ 'recert:pacingStartsPerSecond': 'fast' }, /recert:pacingStartsPerSecond/],
    [{ 'recert:pacingMaxInFlight': '2.5' }, /recert:pacingMaxInFlight: maxInFlight must be a whole number/],
    [
      { 'recert:pacingFailureRateThreshold': '1.5' },
      /recert:pacingFailureRateThreshold: failureRateThreshold/,
    ],
    [{ 'recert:pacingMinFinished': '0' }, /recert:pacingMinFinished: minFinishedForFailureRate/],
    [{ 'recert:pacingHeadroom': '2' }, /recert:pacingHeadroom: headroom must be a fraction/],
    [{ 'recert:pacingQuotas': '{"iot:Nope": 5}' }, /recert:pacingQuotas: unknown API quota iot:Nope/],
    [
      { 'recert:pacingQuotas': '{"iot:DeleteCertificate": -5}' },
      /recert:pacingQuotas: quota iot:DeleteCertificate/,
    ],
    [{ 'recert:pacingQuotas': 'fifty' }, /recert:pacingQuotas: JSON like/],
    [{ 'recert:pacingQuotas': '{"iot:DeleteCertificate": "5"}' }, /recert:pacingQuotas/],
    [{ 'recert:CampaignTurnsPerExecution': '0' }, /CampaignTurnsPerExecution must be a whole number/],
    [{ 'recert:CampaignTurnsPerExecution': 'many' }, /recert:CampaignTurnsPerExecution must be a number/],
    [{ 'recert:campaignStateMachineName': 'a b' }, /recert:campaignStateMachineName/],
    [
      { 'recert:CampaignTurnsPerExecution': '1000', 'recert:TransientRetryMaxAttempts': '6' },
      /recert:CampaignTurnsPerExecution=1000 with recert:TransientRetryMaxAttempts=6: .* history events, over Step Functions' 25000/,
    ],
  ])('rejects the campaign setting %o with an error naming the key', (context, message) => {
    // Prepare / Act / Assess
    expect(() => settingsFromContext(contextOf(context))).toThrow(InvalidDeploymentSettingError);
    expect(() => settingsFromContext(contextOf(context))).toThrow(message);
  });

  it('infra/README.md states the pacing a default deployment derives', () => {
    // Prepare
    const readme = readFileSync(new URL('../../infra/README.md', import.meta.url), 'utf8');
    const documented = (key: string) => {
      const row = new RegExp(`^\\| \`recert:${key}\`\\s*\\| ([0-9.]+)`, 'm').exec(readme);
      return row?.[1] === undefined ? undefined : Number(row[1]);
    };

    // Act
    const derived = settingsFromContext(contextOf({})).pacing.derived;

    // Assess
    expect({
      startsPerSecond: documented('pacingStartsPerSecond'),
      maxInFlight: documented('pacingMaxInFlight'),
      failureRateThreshold: documented('pacingFailureRateThreshold'),
      minFinishedForFailureRate: documented('pacingMinFinished'),
      headroom: documented('pacingHeadroom'),
    }).toEqual({
      startsPerSecond: derived.startsPerSecond,
      maxInFlight: derived.maxInFlight,
      failureRateThreshold: derived.failureRateThreshold,
      minFinishedForFailureRate: derived.minFinishedForFailureRate,
      headroom: derived.headroom,
    });
  });

  it('rejects unknown options given as props', () => {
    expect(() => deploymentSettings({ auditCheck: 'x' })).toThrow(/auditCheck|Unrecognized/);
  });
});
