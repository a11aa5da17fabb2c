import type { Clock, Timer } from '../../lib/clock.ts';

interface JumpTimer extends Timer {
  readonly fn: () => void;
  handle: NodeJS.Timeout | undefined;
}

const MAX_TIMEOUT_MS = 2_147_483_647;

/**
 * Real time that a test can move forward in one jump. Everything that must take real time (a
 * Lambda invocation's deadline, a network round trip) keeps it, while days of waiting for a device
 * pass at once: `jump` fires every timer that falls due, as if the days had gone by.
 */
export class JumpClock implements Clock {
  private offset = 0;
  private readonly timers = new Set<JumpTimer>();

  now(): number {
    return Date.now() + this.offset;
  }

  setTimer(at: number, fn: () => void): Timer {
    const timer: JumpTimer = { at, fn, handle: undefined };
    this.timers.add(timer);
    this.arm(timer);
    return timer;
  }

  clearTimer(timer: Timer): void {
    for (const t of this.timers) {
      if (t !== timer) continue;
      if (t.handle) clearTimeout(t.handle);
      this.timers.delete(t);
    }
  }

  /** Moves time forward by `ms`; timers now due fire (asynchronously, in time order). */
  jump(ms: number): void {
    this.offset += ms;
    const pending = [...this.timers].sort((a, b) => a.at - b.at);
    for (const timer of pending) this.arm(timer);
  }

  private arm(timer: JumpTimer): void {
    if (timer.handle) clearTimeout(timer.handle);
    const delay = Math.max(0, timer.at - this.now());
    timer.handle = setTimeout(
      () => {
        if (timer.at > this.now()) {
          this.arm(timer);
          return;
        }
        this.timers.delete(timer);
        timer.fn();
      },
      Math.min(delay, MAX_TIMEOUT_MS),
    );
    timer.handle.unref?.();
  }
}
