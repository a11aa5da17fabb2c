/**
 * Time for the campaign functions: they pace on a clock they are given, so tests drive them with a
 * manual clock and the local stack with its accelerated one. Any clock with `setTimer` (the local
 * services' `Clock`) fits; in Lambda it is the system clock.
 */
export interface SleepClock {
  now(): number;
  setTimer(at: number, fn: () => void): unknown;
}

export const systemSleepClock: SleepClock = {
  now: () => Date.now(),
  setTimer: (at, fn) => setTimeout(fn, Math.max(0, at - Date.now())),
};

/** A clock to pace on: the given one when it has timers, else wall-time timers from its `now`. */
export function sleepClockOf(clock?: SleepClock | { now(): number }): SleepClock {
  if (!clock) return systemSleepClock;
  if ('setTimer' in clock) return clock;
  return { now: () => clock.now(), setTimer: (at, fn) => setTimeout(fn, Math.max(0, at - clock.now())) };
}

/** Resolves once the clock reached `at`. */
export function sleepUntil(clock: SleepClock, at: number): Promise<void> {
  if (at <= clock.now()) return Promise.resolve();
  return new Promise((resolve) => {
    clock.setTimer(at, resolve);
  });
}

export const sleepFor = (clock: SleepClock, ms: number): Promise<void> => sleepUntil(clock, clock.now() + ms);
