import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  assignBehaviours,
  behaviourCounts,
  formatBehaviourMix,
  parseBehaviourMix,
} from '../../device/fleet/behaviour-mix.ts';
import { BEHAVIOUR_NAMES } from '../../device/fleet/behaviours.ts';

describe('behaviour mix', () => {
  it('parses the documented example', () => {
    // Act
    const mix = parseBehaviourMix('healthy=90,offline=5,crt_err=5');

    // Assess
    expect([...mix]).toEqual([
      ['healthy', 90],
      ['offline', 5],
      ['crt_err', 5],
    ]);
    expect(Object.fromEntries(behaviourCounts(mix, 100))).toEqual({ healthy: 90, offline: 5, crt_err: 5 });
  });

  const bad: [string, RegExp][] = [
    ['', /empty/],
    ['healthy', /"healthy" is not name=weight/],
    ['healthy=90,sneaky=10', /unknown behaviour "sneaky"/],
    ['healthy=1,healthy=2', /appears twice/],
    ['healthy=-1', /not name=weight/],
    ['healthy=0,offline=0', /add up to 0/],
  ];
  for (const [spec, message] of bad) {
    it(`refuses ${JSON.stringify(spec)} with a message naming the problem`, () => {
      expect(() => parseBehaviourMix(spec)).toThrow(message);
      expect(() => parseBehaviourMix(spec)).toThrow(expect.objectContaining({ name: 'BehaviourMixError' }));
    });
  }

  const mixArbitrary = fc
    .uniqueArray(fc.constantFrom(...BEHAVIOUR_NAMES), { minLength: 1, maxLength: BEHAVIOUR_NAMES.length })
    .chain((names) =>
      fc.tuple(
        fc.constant(names),
        fc.array(fc.integer({ min: 0, max: 1000 }), { minLength: names.length, maxLength: names.length }),
      ),
    )
    .filter(([, weights]) => weights.some((w) => w > 0))
    .map(([names, weights]) => names.map((name, i) => `${name}=${weights[i]}`).join(','));

  it('round-trips through its text form', () => {
    fc.assert(
      fc.property(mixArbitrary, (spec) => {
        expect(formatBehaviourMix(parseBehaviourMix(spec))).toBe(spec);
      }),
    );
  });

  it('gives counts that add up to the fleet size, each within one of its exact share', () => {
    fc.assert(
      fc.property(mixArbitrary, fc.integer({ min: 0, max: 5000 }), (spec, size) => {
        const mix = parseBehaviourMix(spec);
        const counts = behaviourCounts(mix, size);
        const total = [...mix.values()].reduce((a, b) => a + b, 0);
        expect([...counts.values()].reduce((a, b) => a + b, 0)).toBe(size);
        for (const [name, weight] of mix) {
          const exact = (weight / total) * size;
          expect(Math.abs((counts.get(name) ?? 0) - exact)).toBeLessThan(1);
        }
      }),
    );
  });

  it('assigns the same behaviours for the same seed, with the planned counts', () => {
    fc.assert(
      fc.property(mixArbitrary, fc.integer({ min: 0, max: 300 }), fc.integer(), (spec, size, seed) => {
        const mix = parseBehaviourMix(spec);
        const first = assignBehaviours(mix, size, seed);
        expect(assignBehaviours(mix, size, seed)).toEqual(first);
        const counted = new Map<string, number>();
        for (const name of first) counted.set(name, (counted.get(name) ?? 0) + 1);
        for (const [name, count] of behaviourCounts(mix, size)) expect(counted.get(name) ?? 0).toBe(count);
      }),
      { numRuns: 50 },
    );
  });
});
