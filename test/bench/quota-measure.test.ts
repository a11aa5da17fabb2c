import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseQuotaFlags, QuotaFlagError } from '../../bench/quota.ts';
import {
  failedByThrottling,
  figuresOf,
  fittedRate,
  type RotationSpan,
  steadyRate,
  verdictOf,
} from '../../bench/quota-measure.ts';
import { InvalidQuotaScaleError, localOperationOf, quotaRunQuotas } from '../../bench/quota-settings.ts';
import { ManualClock } from '../../lib/clock.ts';
import { ApiQuotas, AWS_IOT_DEFAULT_TPS } from '../../local/iot/quotas/api-quotas.ts';
import { derivePacing } from '../../workflows/campaign/pacing.ts';
import { AWS_DEFAULT_QUOTAS, QUOTED_APIS } from '../../workflows/campaign/quotas.ts';

const span = (i: number, status = 'SUCCEEDED', error?: string): RotationSpan => ({
  name: `r${i}`,
  startMs: 1_000 + i * 500,
  stopMs: 3_000 + i * 500,
  status,
  error,
});

describe('steadyRate', () => {
  it('counts intervals between the first and the last event', () => {
    // 5 events 500 ms apart: 4 intervals in 2 s.
    expect(steadyRate([0, 500, 1000, 1500, 2000])).toBe(2);
    expect(steadyRate([2000, 0, 1000, 500, 1500])).toBe(2);
    expect(steadyRate([7])).toBeUndefined();
    expect(steadyRate([5, 5])).toBeUndefined();
  });

  it('gives back the rate of evenly spaced events, whatever the offset', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 500 }),
        fc.integer({ min: 1, max: 10_000 }),
        fc.integer({ min: 0, max: 1e9 }),
        (n, gapMs, offset) => {
          const times = Array.from({ length: n }, (_, i) => offset + i * gapMs);
          expect(steadyRate(times)).toBeCloseTo(1000 / gapMs, 9);
        },
      ),
    );
  });
});

describe('fittedRate', () => {
  it('gives back the rate of evenly spaced events, and hardly moves for one straggler', () => {
    const even = Array.from({ length: 41 }, (_, i) => i * 500);
    expect(fittedRate(even)).toBeCloseTo(2, 9);
    // The last one 3 s late: first-to-last says 1.74/s, the fit stays near 2.
    const late = [...even.slice(0, -1), 20_000 + 3_000];
    expect(steadyRate(late)).toBeLessThan(1.8);
    expect(fittedRate(late)).toBeGreaterThan(1.9);
    expect(fittedRate([1, 2])).toBeUndefined();
    expect(fittedRate([5, 5, 5])).toBeUndefined();
  });

  it('recovers any even rate, whatever the offset', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3, max: 300 }), fc.integer({ min: 1, max: 10_000 }), (n, gapMs) => {
        const times = Array.from({ length: n }, (_, i) => 1e9 + i * gapMs);
        expect(fittedRate(times)).toBeCloseTo(1000 / gapMs, 6);
      }),
    );
  });
});

describe('figures and verdict', () => {
  it('measures a paced run and passes it within 10% of the allowance', () => {
    // Prepare: 41 rotations started and ended 500 ms apart: 2 per second.
    const figures = figuresOf(Array.from({ length: 41 }, (_, i) => span(i)));
    // Act
    const verdict = verdictOf(figures, 2.1, 41);
    // Assess
    expect(figures).toMatchObject({
      rotations: 41,
      succeeded: 41,
      failed: 0,
      startsPerSecond: 2,
      rotationsPerSecond: 2,
    });
    expect(figures.campaignSeconds).toBe(22);
    expect(verdict.passed).toBe(true);
    expect(verdict.ratio).toBeCloseTo(2 / 2.1, 9);
  });

  it('fails a run with a throttled rotation, one too slow, one over the quota, one unfinished', () => {
    const throttled = figuresOf([
      span(0),
      span(1, 'FAILED', 'TransientAwsError: ThrottlingException: Rate exceeded'),
      span(2),
    ]);
    expect(throttled.failedByThrottling).toBe(1);
    expect(verdictOf(throttled, 2, 3).reasons).toEqual(['1 rotations failed (1 by throttling)']);
    const even = figuresOf(Array.from({ length: 11 }, (_, i) => span(i)));
    expect(verdictOf(even, 2.5, 11).passed).toBe(false);
    expect(verdictOf(even, 1.5, 11).reasons[0]).toMatch(/faster than the quotas allow/);
    expect(verdictOf(even, 2, 12).reasons).toEqual(['11 of 12 rotations ended']);
  });

  it('tells throttling from other failures', () => {
    expect(failedByThrottling(span(0, 'FAILED', 'ThrottlingException'))).toBe(true);
    expect(failedByThrottling(span(0, 'FAILED', 'DeviceUnreachable'))).toBe(false);
  });
});

describe('the quota run quotas', () => {
  it('enforce locally exactly what the pacing derives from, and AWS defaults agree on both sides', () => {
    // Act
    const { enforced, pacing } = quotaRunQuotas();
    // Assess: every IoT quota of the pacing is AWS's default and the local IoT enforces it.
    for (const api of QUOTED_APIS.filter((a) => a.startsWith('iot:'))) {
      const operation = localOperationOf(api);
      expect(operation, api).toBeDefined();
      expect(enforced[operation ?? ''], api).toBe(AWS_DEFAULT_QUOTAS[api]);
      expect(pacing[api], api).toBe(AWS_DEFAULT_QUOTAS[api]);
    }
    expect(derivePacing({ quotas: pacing }).startsPerSecond).toBe(derivePacing().startsPerSecond);
  });

  it('scale every rate but the per-client connect limit', () => {
    const { enforced, pacing } = quotaRunQuotas(0.2);
    expect(enforced.DeleteCertificate).toBeCloseTo(2, 9);
    expect(enforced['MQTT:ConnectPerClientId']).toBe(AWS_IOT_DEFAULT_TPS['MQTT:ConnectPerClientId']);
    expect(derivePacing({ quotas: pacing }).limitedBy.rotationsPerSecond).toBeCloseTo(
      derivePacing().limitedBy.rotationsPerSecond * 0.2,
      9,
    );
    expect(() => quotaRunQuotas(0)).toThrow(InvalidQuotaScaleError);
    expect(() => quotaRunQuotas(2)).toThrow(/fraction/);
  });
});

describe('the local IoT throttle counter', () => {
  it('counts each call refused over its rate, by operation, and nothing under it', async () => {
    // Prepare: 10 TPS, and a clock that does not move.
    const clock = new ManualClock(0);
    const quotas = new ApiQuotas(clock, { DeleteCertificate: 10 });
    // Act
    const taken = Array.from({ length: 13 }, () => quotas.tryTake('DeleteCertificate'));
    quotas.tryTakeKeyed('MQTT:ConnectPerClientId', 'a');
    quotas.tryTakeKeyed('MQTT:ConnectPerClientId', 'a');
    // Assess
    expect(taken.filter((t) => !t)).toHaveLength(3);
    expect(quotas.throttledCounts()).toEqual({ DeleteCertificate: 3, 'MQTT:ConnectPerClientId': 1 });
    await clock.advance(1000);
    expect(quotas.tryTake('DeleteCertificate')).toBe(true);
    expect(quotas.throttledCounts().DeleteCertificate).toBe(3);
  });
});

describe('quota run flags', () => {
  it('defaults to 2,000 devices at AWS defaults and real time', () => {
    expect(parseQuotaFlags([], 2)).toMatchObject({
      devices: 2000,
      quotaScale: 1,
      clockSpeed: 1,
      functionWorkers: 1,
    });
    expect(parseQuotaFlags(['--quota', '--devices', '100', '--clock-speed', '0.5'], 1)).toMatchObject({
      devices: 100,
      clockSpeed: 0.5,
      functionWorkers: 0,
    });
  });

  it.each([
    [['--devices', '1'], /--devices must be a whole number from 2/],
    [['--clock-speed', '0'], /--clock-speed must be a number above 0/],
    [['--quota-scale', '3'], /--quota-scale must be a fraction/],
    [['--sizes', '10'], /Unknown option '--sizes'/],
  ])('refuses %j naming the flag', (argv, message) => {
    expect(() => parseQuotaFlags(argv)).toThrow(QuotaFlagError);
    expect(() => parseQuotaFlags(argv)).toThrow(message);
  });
});
