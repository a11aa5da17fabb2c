import type { Clock, Timer } from '../../lib/clock.ts';
import { FUNCTIONS, type FunctionId } from '../../workflows/rotate-device/contract.ts';
import type { FunctionRegistry } from '../lambda/registry.ts';
import { functionName } from './function-wiring.ts';

export interface LocalSchedules {
  /** Resolves when no scheduled run is under way. */
  idle(): Promise<void>;
  /** Stops arming runs; one under way is not waited for (it ends or fails with the services). */
  close(): Promise<void>;
}

/** What EventBridge sends a function on a schedule; the functions read nothing of it. */
const scheduledEvent = (at: number) => ({
  version: '0',
  'detail-type': 'Scheduled Event',
  source: 'aws.events',
  time: new Date(at).toISOString(),
  detail: {},
});

/**
 * The stack's EventBridge schedules, on the local clock. As EventBridge, missed runs are not made up; unlike
 * it, runs never overlap (one process could not tell an overlapping run from a stuck one).
 */
export interface ScheduleOptions {
  /** Which scheduled functions run (all by default). */
  readonly enabled?: (id: FunctionId) => boolean;
  /**
   * Real time between the end of a run and the next one, at least (1 s by default): on a clock sped up
   * a thousandfold a 15-minute rate would otherwise query the tables without pause.
   */
  readonly minWallGapMs?: number;
}

export function startSchedules(
  clock: Clock,
  functions: FunctionRegistry,
  log: (line: string) => void,
  options: ScheduleOptions = {},
): LocalSchedules {
  const minWallGapMs = options.minWallGapMs ?? 1_000;
  let closed = false;
  const gaps = new Set<NodeJS.Timeout>();
  const timers = new Set<Timer>();
  const running = new Set<Promise<void>>();
  for (const spec of Object.values(FUNCTIONS)) {
    const trigger = spec.trigger;
    if (trigger.kind !== 'schedule' || options.enabled?.(spec.id) === false) continue;
    const rateMs = trigger.rateMinutes * 60_000;
    const name = functionName(spec.id);
    const arm = (at: number): void => {
      if (closed) return;
      const timer = clock.setTimer(at, () => {
        timers.delete(timer);
        if (closed) return;
        const run = functions
          .invoke(name, scheduledEvent(at))
          .then(
            () => undefined,
            (error: unknown) => log(`schedule: ${name} failed: ${String(error)}`),
          )
          .finally(() => {
            running.delete(run);
            const gap = setTimeout(() => {
              gaps.delete(gap);
              const now = clock.now();
              arm(at + rateMs * Math.max(1, Math.ceil((now - at) / rateMs)));
            }, minWallGapMs);
            gap.unref?.();
            gaps.add(gap);
          });
        running.add(run);
      });
      timers.add(timer);
    };
    arm(clock.now() + rateMs);
  }
  return {
    async idle() {
      while (running.size > 0) await Promise.all([...running]);
    },
    async close() {
      closed = true;
      for (const timer of timers) clock.clearTimer(timer);
      timers.clear();
      for (const gap of gaps) clearTimeout(gap);
      gaps.clear();
    },
  };
}
