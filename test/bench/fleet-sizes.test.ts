import { describe, expect, it } from 'vitest';
import { DEFAULT_FLEET_SIZES, parseFleetSizes } from '../../bench/fleet.ts';

describe('fleet sizes of npm run bench', () => {
  it('takes --sizes, --sizes=, the environment, or the defaults, in that order', () => {
    expect(parseFleetSizes(['--sizes', '100,1000'], {})).toEqual([100, 1000]);
    expect(parseFleetSizes(['--sizes=50'], { RECERT_BENCH_SIZES: '7' })).toEqual([50]);
    expect(parseFleetSizes([], { RECERT_BENCH_SIZES: ' 10 , 20 ' })).toEqual([10, 20]);
    expect(parseFleetSizes(['--fleet-only'], {})).toEqual([...DEFAULT_FLEET_SIZES]);
  });

  it('refuses sizes that are not whole positive numbers, quoting what it got', () => {
    expect(() => parseFleetSizes(['--sizes', '100,abc'], {})).toThrow(/"100,abc"/);
    expect(() => parseFleetSizes(['--sizes', '0'], {})).toThrow(RangeError);
    expect(() => parseFleetSizes(['--sizes', '1.5'], {})).toThrow(RangeError);
    expect(() => parseFleetSizes(['--sizes'], { RECERT_BENCH_SIZES: '' })).toThrow(RangeError);
  });
});
