/**
 * Time for every part of recert: functions, the local AWS, devices, the CLI. Code takes a clock
 * instead of reading `Date.now()`, so tests can run a one-day timeout in milliseconds.
 * Time is epoch milliseconds; timers fire when the clock's time reaches `at`.
 */

/** Something that tells the time: all a caller needs when it only stamps or compares times. */
export interface TimeSource {
  /** Current time in epoch milliseconds, on this clock. */
  now(): number;
}

/** A time source with timers: for code that waits (timeouts, schedules, pacing). */
export interface Clock extends TimeSource {
  /** Calls `fn` once this clock's time reaches `at` (epoch ms). Returns a handle for `clearTimer`. */
  setTimer(at: number, fn: () => void): Timer;
  clearTimer(timer: Timer): void;
}

export interface Timer {
  readonly at: number;
}

interface RealTimer extends Timer {
  handle: NodeJS.Timeout | undefined;
  cleared: boolean;
}

// setTimeout clamps delays above 2^31-1 ms (about 24.8 days); longer waits re-arm in steps.
const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * Wall time multiplied by `speed`: at speed 3600 one real second is one clock hour.
 * Speed 1 is the system clock. The clock starts at `start` (default: now).
 */
export class ScaledClock implements Clock {
  private readonly realStart: number;
  private readonly clockStart: number;

  constructor(
    readonly speed = 1,
    start: number = Date.now(),
    /** The wall time at which the clock read `start` (now, unless resuming another clock). */
    realStart: number = Date.now(),
  ) {
    if (!(speed > 0) || !Number.isFinite(speed)) {
      throw new RangeError(`clock speed must be a positive finite number, got ${speed}`);
    }
    this.realStart = realStart;
    this.clockStart = start;
  }

  /** What another thread needs to run the very same clock (`ScaledClock.resume`). */
  origin(): ScaledClockOrigin {
    return { speed: this.speed, clockStart: this.clockStart, realStart: this.realStart };
  }

  /** The same clock as the one whose `origin()` this is: both read the same time at any moment. */
  static resume(origin: ScaledClockOrigin): ScaledClock {
    return new ScaledClock(origin.speed, origin.clockStart, origin.realStart);
  }

  now(): number {
    return this.clockStart + (Date.now() - this.realStart) * this.speed;
  }

  setTimer(at: number, fn: () => void): Timer {
    const timer: RealTimer = { at, handle: undefined, cleared: false };
    const arm = (): void => {
      if (timer.cleared) return;
      const realDelay = Math.max(0, (at - this.now()) / this.speed);
      if (realDelay <= 0) {
        fn();
        return;
      }
      timer.handle = setTimeout(arm, Math.min(Math.ceil(realDelay), MAX_TIMEOUT_MS));
      timer.handle.unref?.();
    };
    // Always asynchronous, like setTimeout, even when already due.
    timer.handle = setTimeout(arm, 0);
    timer.handle.unref?.();
    return timer;
  }

  clearTimer(timer: Timer): void {
    const t = timer as RealTimer;
    t.cleared = true;
    if (t.handle) clearTimeout(t.handle);
  }
}

export interface ScaledClockOrigin {
  readonly speed: number;
  readonly clockStart: number;
  readonly realStart: number;
}

/** The system clock: speed 1. Its timers do not hold the process open. */
export const systemClock: Clock = new ScaledClock(1);

interface WallTimer extends Timer {
  readonly handle: NodeJS.Timeout;
}

/** A clock reading `source`'s time, with ordinary timers that wait the wall time left until `at`. */
function withWallTimers(source: TimeSource): Clock {
  return {
    now: () => source.now(),
    setTimer(at, fn): WallTimer {
      return { at, handle: setTimeout(fn, Math.max(0, at - source.now())) };
    },
    clearTimer(timer) {
      clearTimeout((timer as WallTimer).handle);
    },
  };
}

/**
 * The system clock with ordinary timers, which hold the process open: for a Lambda handler that
 * sleeps between batches and must not let its event loop drain meanwhile.
 */
export const wallClock: Clock = withWallTimers({ now: () => Date.now() });

/** `source` itself when it has timers; else a clock reading its time with wall-time timers. */
export function clockOf(source: TimeSource | Clock = wallClock): Clock {
  return 'setTimer' in source ? source : withWallTimers(source);
}

/** Resolves once the clock reached `at` (at once when it already has). */
export function sleepUntil(clock: Clock, at: number): Promise<void> {
  if (at <= clock.now()) return Promise.resolve();
  return new Promise((resolve) => {
    clock.setTimer(at, resolve);
  });
}

/** Resolves once `ms` passed on the clock. */
export const sleepFor = (clock: Clock, ms: number): Promise<void> => sleepUntil(clock, clock.now() + ms);

interface ManualTimer extends Timer {
  fn: () => void;
  seq: number;
}

/**
 * A clock that moves only when told to: for unit tests that must be exact.
 * `advance` fires every timer due by the new time, in time order.
 */
export class ManualClock implements Clock {
  private time: number;
  private seq = 0;
  private timers: ManualTimer[] = [];

  constructor(start = Date.UTC(2026, 0, 1)) {
    this.time = start;
  }

  now(): number {
    return this.time;
  }

  setTimer(at: number, fn: () => void): Timer {
    const timer: ManualTimer = { at, fn, seq: this.seq++ };
    this.timers.push(timer);
    return timer;
  }

  clearTimer(timer: Timer): void {
    this.timers = this.timers.filter((t) => t !== timer);
  }

  /** Moves time forward by `ms`, firing due timers (and timers they set that are also due). */
  async advance(ms: number): Promise<void> {
    const target = this.time + ms;
    for (;;) {
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.time = Math.max(this.time, due.at);
      due.fn();
      // Let promise continuations scheduled by the timer run before the next one fires.
      await new Promise((resolve) => setImmediate(resolve));
    }
    this.time = target;
  }

  pendingTimers(): number {
    return this.timers.length;
  }
}
