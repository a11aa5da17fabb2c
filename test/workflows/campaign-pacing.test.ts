import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  AWS_DEFAULT_QUOTAS,
  derivePacing,
  InvalidPacingError,
  InvalidQuotaError,
  QUOTED_APIS,
  resolveQuotas,
} from '../../workflows/campaign/contract.ts';
import { rotationApiCalls } from '../../workflows/rotate-device/api-calls.ts';

const CALLS = {
  'iot:ListPrincipalThings': 1,
  'states:StartExecution': 1,
  'iot:CreateCertificateFromCsr': 1,
  'iot:UpdateCertificate': 2,
  'iot:DeleteCertificate': 1,
  'iot:AttachPolicy': 1,
  'iot:DetachPolicy': 1,
  'iot:AttachThingPrincipal': 1,
} as const;

describe('campaign pacing from the quotas', () => {
  it('known answer: AWS defaults with two UpdateCertificate calls per rotation give 4.75 starts/s', () => {
    // Act
    const pacing = derivePacing({ calls: CALLS });
    // Assess: UpdateCertificate 10 TPS / 2 calls = 5 rotations/s, times the 0.95 headroom
    expect(pacing.limitedBy).toMatchObject({
      api: 'iot:UpdateCertificate',
      quota: 10,
      rotationsPerSecond: 5,
    });
    expect(pacing.startsPerSecond).toBeCloseTo(4.75, 10);
    // Little's law over a 60 s active rotation
    expect(pacing.maxInFlight).toBe(285);
    expect(pacing.failureRateThreshold).toBe(0.1);
    expect(pacing.minFinishedForFailureRate).toBe(20);
  });

  it("known answer: with the workflow's own calls, one of the 10 TPS IoT APIs limits at the defaults", () => {
    // Act
    const pacing = derivePacing();
    // Assess
    expect(pacing.limitedBy.quota).toBe(10);
    expect(pacing.startsPerSecond).toBeLessThanOrEqual(10 * 0.95);
    for (const [api, calls] of Object.entries(rotationApiCalls())) {
      const quota = AWS_DEFAULT_QUOTAS[api as keyof typeof AWS_DEFAULT_QUOTAS];
      expect(pacing.startsPerSecond * (calls ?? 0)).toBeLessThanOrEqual(quota);
    }
  });

  it('known answer: raised 10 TPS quotas move the limit to the next slowest API', () => {
    // Act
    const pacing = derivePacing({
      calls: CALLS,
      quotas: { 'iot:UpdateCertificate': 100, 'iot:DeleteCertificate': 100, 'iot:ListPrincipalThings': 100 },
    });
    // Assess: CreateCertificateFromCsr, AttachPolicy and DetachPolicy allow 15/s; alphabetical first wins a tie
    expect(pacing.limitedBy).toMatchObject({ api: 'iot:AttachPolicy', rotationsPerSecond: 15 });
    expect(pacing.startsPerSecond).toBeCloseTo(14.25, 10);
  });

  it('property: without overrides the start rate never exceeds any quota / calls', () => {
    fc.assert(
      fc.property(
        fc.dictionary(fc.constantFrom(...QUOTED_APIS), fc.double({ min: 0.5, max: 5000, noNaN: true })),
        fc.integer({ min: 0, max: 5 }),
        fc.double({ min: 0.05, max: 1, noNaN: true }),
        (raised, policies, headroom) => {
          const quotas = resolveQuotas(raised);
          const calls = rotationApiCalls(policies);
          const pacing = derivePacing({ quotas: raised, policiesPerCertificate: policies, headroom });
          for (const api of QUOTED_APIS) {
            const n = calls[api] ?? 0;
            expect(pacing.startsPerSecond * n).toBeLessThanOrEqual(quotas[api] * (1 + 1e-12));
          }
          expect(pacing.maxInFlight).toBeGreaterThanOrEqual(1);
        },
      ),
    );
  });

  it('property: an explicit setting always wins over the derived one', () => {
    fc.assert(
      fc.property(
        fc.double({ min: 0.01, max: 1000, noNaN: true }),
        fc.integer({ min: 1, max: 100_000 }),
        fc.double({ min: 0.001, max: 1, noNaN: true }),
        fc.integer({ min: 1, max: 1000 }),
        (startsPerSecond, maxInFlight, failureRateThreshold, minFinishedForFailureRate) => {
          const overrides = { startsPerSecond, maxInFlight, failureRateThreshold, minFinishedForFailureRate };
          expect(derivePacing({ overrides })).toMatchObject(overrides);
        },
      ),
    );
  });

  it('rejects bad values with named errors that say which and why', () => {
    expect(() => derivePacing({ overrides: { startsPerSecond: 0 } })).toThrow(InvalidPacingError);
    expect(() => derivePacing({ overrides: { maxInFlight: 2.5 } })).toThrow(
      /maxInFlight must be a whole number/,
    );
    expect(() => derivePacing({ overrides: { failureRateThreshold: 1.5 } })).toThrow(/failureRateThreshold/);
    expect(() => derivePacing({ headroom: 0 })).toThrow(/headroom/);
    expect(() => resolveQuotas({ 'iot:Nope': 3 })).toThrow(InvalidQuotaError);
    expect(() => resolveQuotas({ 'iot:UpdateCertificate': -1 })).toThrow(
      /iot:UpdateCertificate must be a positive/,
    );
  });
});
