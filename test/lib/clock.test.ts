import { describe, expect, it } from 'vitest';
import { ManualClock, ScaledClock } from '../../lib/clock.ts';

describe('clocks', () => {
  it('a manual clock fires due timers in time order and nothing early', async () => {
    // Prepare
    const clock = new ManualClock(0);
    const fired: string[] = [];
    clock.setTimer(2_000, () => fired.push('b'));
    clock.setTimer(1_000, () => fired.push('a'));
    const cancelled = clock.setTimer(1_500, () => fired.push('x'));
    clock.clearTimer(cancelled);
    // Act
    await clock.advance(1_999);
    const early = [...fired];
    await clock.advance(1);
    // Assess
    expect(early).toEqual(['a']);
    expect(fired).toEqual(['a', 'b']);
    expect(clock.now()).toBe(2_000);
  });

  it('a scaled clock runs a day-long timer in milliseconds', async () => {
    // Prepare: one real millisecond is 100 clock seconds.
    const clock = new ScaledClock(100_000);
    const start = clock.now();
    // Act
    const firedAt = await new Promise<number>((resolve) => {
      clock.setTimer(start + 86_400_000, () => resolve(clock.now()));
    });
    // Assess
    expect(firedAt).toBeGreaterThanOrEqual(start + 86_400_000);
  });

  it('refuses a speed that is not positive', () => {
    expect(() => new ScaledClock(0)).toThrow(/positive/);
    expect(() => new ScaledClock(Number.NaN)).toThrow(/positive/);
  });
});
