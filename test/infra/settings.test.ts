import { describe, expect, it } from 'vitest';
import {
  deploymentSettings,
  InvalidDeploymentSettingError,
  settingsFromContext,
} from '../../infra/settings.ts';
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

  it('rejects unknown options given as props', () => {
    expect(() => deploymentSettings({ auditCheck: 'x' })).toThrow(/auditCheck|Unrecognized/);
  });
});
