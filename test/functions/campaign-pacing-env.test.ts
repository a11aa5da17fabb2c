import { describe, expect, it } from 'vitest';
import {
  PacingConfigurationError,
  pacingFromEnv,
} from '../../functions/event-triggered/audit-fanout/pacing-env.ts';
import { derivePacing } from '../../workflows/campaign/pacing.ts';

describe("the fan-out's campaign pacing from its environment", () => {
  it('is derived from the default quotas when nothing is set', () => {
    expect(pacingFromEnv({})).toEqual(derivePacing());
  });

  it('takes raised quotas and headroom, and explicit settings win', () => {
    // Act
    const raised = pacingFromEnv({
      PACING_QUOTAS: '{"iot:UpdateCertificate": 1000, "iot:DeleteCertificate": 1000}',
      PACING_HEADROOM: '0.5',
    });
    const explicit = pacingFromEnv({
      PACING_STARTS_PER_SECOND: '2',
      PACING_MAX_IN_FLIGHT: '7',
      PACING_FAILURE_RATE_THRESHOLD: '0.3',
      PACING_MIN_FINISHED: '4',
    });
    // Assess
    expect(raised).toEqual(
      derivePacing({
        quotas: { 'iot:UpdateCertificate': 1000, 'iot:DeleteCertificate': 1000 },
        headroom: 0.5,
      }),
    );
    expect(explicit).toMatchObject({
      startsPerSecond: 2,
      maxInFlight: 7,
      failureRateThreshold: 0.3,
      minFinishedForFailureRate: 4,
    });
  });

  it("counts a private CA's calls when the deployment issues with one", () => {
    // Prepare: the certificate APIs at 10 TPS raised, as an operator rotating a large fleet would.
    const raised = JSON.stringify({
      'iot:UpdateCertificate': 50,
      'iot:DeleteCertificate': 50,
      'iot:DescribeCertificate': 50,
      'iot:ListPrincipalThings': 50,
    });
    // Act
    const awsIot = pacingFromEnv({ PACING_QUOTAS: raised });
    const privateCa = pacingFromEnv({ PACING_QUOTAS: raised, CERTIFICATE_ISSUER: 'acm-pca' });
    // Assess: AWS IoT's CA allows 15/s (CreateCertificateFromCsr and the policy APIs); registering
    // a private CA's certificates allows 10/s, so the campaign must start fewer.
    expect(awsIot.limitedBy.rotationsPerSecond).toBe(15);
    expect(awsIot.limits).toContainEqual(
      expect.objectContaining({ api: 'iot:CreateCertificateFromCsr', rotationsPerSecond: 15 }),
    );
    expect(privateCa.limitedBy).toMatchObject({
      api: 'iot:RegisterCertificateWithoutCA',
      rotationsPerSecond: 10,
    });
    expect(privateCa.startsPerSecond).toBeCloseTo(9.5, 9);
    expect(privateCa.limits.map((l) => l.api)).toContain('acm-pca:IssueCertificate');
    expect(privateCa.limits.map((l) => l.api)).not.toContain('iot:CreateCertificateFromCsr');
  });

  it.each([
    [{ CERTIFICATE_ISSUER: 'vault' }, /CERTIFICATE_ISSUER must be one of aws-iot, acm-pca, got "vault"/],
    [{ PACING_STARTS_PER_SECOND: 'fast' }, /PACING_STARTS_PER_SECOND must be a number/],
    [{ PACING_MAX_IN_FLIGHT: '0' }, /maxInFlight must be a whole number >= 1/],
    [{ PACING_QUOTAS: '{not json' }, /PACING_QUOTAS is not JSON/],
    [{ PACING_QUOTAS: '{"iot:UpdateCertificate": "many"}' }, /PACING_QUOTAS must be a JSON object/],
    [{ PACING_QUOTAS: '{"iot:Nope": 5}' }, /unknown API quota iot:Nope/],
    [{ PACING_HEADROOM: '2' }, /headroom must be a fraction/],
  ])('refuses %j with a named error saying what is wrong', (env, message) => {
    expect(() => pacingFromEnv(env)).toThrow(PacingConfigurationError);
    expect(() => pacingFromEnv(env)).toThrow(message);
  });
});
