import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EmptySampleError, median, percentile } from '../../bench/stats.ts';

describe('benchmark percentiles', () => {
  it('gives the nearest-rank percentiles of a known sample', () => {
    // Prepare: 1..20 shuffled, so the order of measurement does not matter.
    const samples = [7, 3, 20, 1, 15, 9, 12, 2, 18, 5, 11, 4, 16, 6, 19, 8, 14, 10, 17, 13];
    // Act
    const p50 = percentile(samples, 50);
    const p95 = percentile(samples, 95);
    // Assess
    expect(p50).toBe(10);
    expect(p95).toBe(19);
    expect(percentile(samples, 100)).toBe(20);
    expect(percentile(samples, 0)).toBe(1);
    expect(median([4])).toBe(4);
  });

  it('always returns a measured value, never below p-percent of the samples', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 1, maxLength: 200 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (samples, p) => {
          // Act
          const value = percentile(samples, p);
          // Assess
          expect(samples).toContain(value);
          const atOrBelow = samples.filter((s) => s <= value).length;
          expect(atOrBelow / samples.length).toBeGreaterThanOrEqual(p / 100 - 1e-9);
        },
      ),
    );
  });

  it('grows with p', () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer(), { minLength: 1, maxLength: 100 }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        fc.double({ min: 0, max: 100, noNaN: true }),
        (samples, a, b) => {
          const [low, high] = a <= b ? [a, b] : [b, a];
          expect(percentile(samples, low)).toBeLessThanOrEqual(percentile(samples, high));
        },
      ),
    );
  });

  it('refuses an empty sample and a percentile outside 0..100 with a clear error', () => {
    expect(() => percentile([], 50)).toThrow(EmptySampleError);
    expect(() => percentile([1], 101)).toThrow(/within 0..100/);
    expect(() => percentile([1], Number.NaN)).toThrow(RangeError);
  });
});
