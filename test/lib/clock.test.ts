import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { clockOf, ManualClock, ScaledClock, sleepUntil, type Timer } from '../../lib/clock.ts';

const TSX = new URL('../../node_modules/.bin/tsx', import.meta.url).pathname;
const CLOCK_MODULE = new URL('../../lib/clock.ts', import.meta.url).href;
const CHILD_TEST_TIMEOUT_MS = 180_000;
const run = promisify(execFile);

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

describe('sleeping on a clock', () => {
  it('sleepUntil resolves once the clock reaches the time, and at once when it already has', async () => {
    // Prepare
    const clock = new ManualClock(1_000);
    let woke = false;
    const sleeping = sleepUntil(clock, 1_500).then(() => {
      woke = true;
    });
    // Act
    await clock.advance(499);
    const early = woke;
    await clock.advance(1);
    await sleeping;
    // Assess
    expect(early).toBe(false);
    expect(woke).toBe(true);
    await expect(sleepUntil(clock, 1_000)).resolves.toBeUndefined();
    expect(clock.pendingTimers()).toBe(0);
  });

  it('clockOf keeps a clock with timers, and gives a time source wall-time timers that can be cleared', async () => {
    // Prepare
    const manual = new ManualClock(0);
    const source = { now: () => 5_000 };
    const clock = clockOf(source);
    const fired: string[] = [];
    // Act
    const cleared: Timer = clock.setTimer(5_001, () => fired.push('cleared'));
    clock.clearTimer(cleared);
    await new Promise<void>((resolve) => clock.setTimer(5_002, resolve));
    // Assess
    expect(clockOf(manual)).toBe(manual);
    expect(clock.now()).toBe(5_000);
    expect(fired).toEqual([]);
  });

  it.each([
    ['wallClock', 'wakes', 'woke'],
    ['systemClock', 'exits without waking', ''],
  ])(
    'a process sleeping on %s %s',
    async (name, _outcome, expected) => {
      // Prepare: the process has nothing else to wait for, as a Lambda handler awaiting a sleep.
      const script = `import(${JSON.stringify(CLOCK_MODULE)}).then((m) => m.sleepFor(m.${name}, 20)).then(() => console.log('woke'));`;
      // Act
      const { stdout } = await run(TSX, ['-e', script], { encoding: 'utf8' });
      // Assess: wallClock's timer holds the process open; systemClock's (unref'd) does not.
      expect(stdout.trim()).toBe(expected);
    },
    // A fresh tsx process: bounded, but slow to start on a busy machine; only its output counts.
    CHILD_TEST_TIMEOUT_MS,
  );
});
