import type { Target } from '../../cli/index.ts';
import { certificateFindings, certificateState, errorMessage, latestAuditTask } from '../../cli/index.ts';

const WEEK_MS = 7 * 86_400_000;
/** At most this many certificates are looked up; the rest are counted as not looked up. */
const MAX_CERTIFICATES = 2000;
const CONCURRENCY = 8;
const FRESH_MS = 5 * 60_000;

export interface ExpiryWeeks {
  readonly taskId: string;
  readonly taskStartTime: string | undefined;
  /** Week offset from now (negative: expired) and how many ACTIVE certificates expire in it. */
  readonly weeks: ReadonlyArray<{ readonly week: number; readonly count: number }>;
  readonly notLookedUp: number;
  readonly computedAt: number;
}

export type ExpiryState =
  | { readonly state: 'computing' }
  | { readonly state: 'ready'; readonly value: ExpiryWeeks }
  | { readonly state: 'unavailable'; readonly reason: string };

/**
 * Certificates expiring by week, from the latest completed Device Defender audit: its expiring and
 * age findings, each certificate's notAfter from DescribeCertificate. Computed in the background and
 * kept a few minutes, so the overview never waits for thousands of lookups.
 */
export class ExpiryCache {
  #state: ExpiryState = { state: 'computing' };
  #running: Promise<void> | undefined;
  #computedAt = 0;

  constructor(
    private readonly target: Target,
    private readonly now: () => number,
  ) {}

  /** What is known now; starts a computation when there is none or it is stale. */
  current(): ExpiryState {
    if (this.#running === undefined && this.now() - this.#computedAt > FRESH_MS) {
      this.#running = this.compute().finally(() => {
        this.#running = undefined;
      });
    }
    return this.#state;
  }

  /** Resolves once the computation under way (if any) is done: for tests and the benchmark. */
  async settled(): Promise<ExpiryState> {
    this.current();
    await this.#running;
    return this.#state;
  }

  private async compute(): Promise<void> {
    const now = this.now();
    try {
      const task = await latestAuditTask(this.target.iot, now);
      const ids = [
        ...new Set((await certificateFindings(this.target.iot, task.taskId)).map((f) => f.certificateId)),
      ];
      const counts = new Map<number, number>();
      const queue = ids.slice(0, MAX_CERTIFICATES);
      const worker = async (): Promise<void> => {
        for (let id = queue.pop(); id !== undefined; id = queue.pop()) {
          const notAfter = await activeNotAfter(this.target, id);
          if (notAfter === undefined) continue;
          const week = Math.floor((notAfter - now) / WEEK_MS);
          counts.set(week, (counts.get(week) ?? 0) + 1);
        }
      };
      await Promise.all(Array.from({ length: CONCURRENCY }, worker));
      this.#state = {
        state: 'ready',
        value: {
          taskId: task.taskId,
          taskStartTime: task.taskStartTime,
          weeks: [...counts].sort((a, b) => a[0] - b[0]).map(([week, count]) => ({ week, count })),
          notLookedUp: Math.max(0, ids.length - MAX_CERTIFICATES),
          computedAt: now,
        },
      };
    } catch (error) {
      this.#state = { state: 'unavailable', reason: errorMessage(error) };
    }
    this.#computedAt = this.now();
  }
}

/** A certificate's notAfter (ms) while it is ACTIVE; undefined once it is gone or not ACTIVE. */
async function activeNotAfter(target: Target, certificateId: string): Promise<number | undefined> {
  const state = await certificateState(target.iot, certificateId);
  return state?.status === 'ACTIVE' ? state.notAfter?.getTime() : undefined;
}
