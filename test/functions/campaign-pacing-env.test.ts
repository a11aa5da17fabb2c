import { describe, expect, it } from 'vitest';
import { PacingConfigurationError, pacingFromEnv } from '../../functions/audit-fanout/pacing-env.ts';
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

  it.each([
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
