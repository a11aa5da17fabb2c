import { type CheckContext, CheckFailure } from './check-context.ts';
import type { Check } from './checks.ts';
import type { ConformanceCloud } from './cloud.ts';
import type { BrokerObserver } from './observer.ts';

export interface KitRun {
  readonly cloud: ConformanceCloud;
  readonly observer: BrokerObserver;
  readonly checks: readonly Check[];
  /** Each check's bound, in milliseconds. */
  readonly timeoutMs: number;
  /** One line per check as it ends. */
  readonly report: (line: string) => void;
  /** Ends the check running (it fails as interrupted) and skips the rest. */
  readonly stop?: AbortSignal;
}

export interface CheckOutcome {
  readonly name: string;
  readonly passed: boolean;
  readonly reason?: string;
}

/**
 * Runs the checks one after the other, each within its own bound, and reports `PASS <check>` or
 * `FAIL <check>: <reason>`. A rotation a failed check leaves in flight is abandoned (its new
 * certificate revoked, the old one untouched) so the next check can start its own.
 */
export async function runKit(run: KitRun): Promise<CheckOutcome[]> {
  const outcomes: CheckOutcome[] = [];
  for (const check of run.checks) {
    if (run.stop?.aborted) break;
    const outcome = await runOne(run, check);
    outcomes.push(outcome);
    run.report(outcome.passed ? `PASS ${check.name}` : `FAIL ${check.name}: ${outcome.reason}`);
  }
  return outcomes;
}

async function runOne(run: KitRun, check: Check): Promise<CheckOutcome> {
  const deadline = new AbortController();
  const timer = setTimeout(() => deadline.abort(), run.timeoutMs);
  const interrupt = (): void => deadline.abort();
  run.stop?.addEventListener('abort', interrupt, { once: true });
  const ctx: CheckContext = {
    cloud: run.cloud,
    observer: run.observer,
    signal: deadline.signal,
    timeoutMs: run.timeoutMs,
  };
  let outcome: CheckOutcome;
  try {
    await check.run(ctx);
    outcome = run.stop?.aborted
      ? { name: check.name, passed: false, reason: 'interrupted' }
      : { name: check.name, passed: true };
  } catch (error) {
    const reason = run.stop?.aborted
      ? 'interrupted'
      : error instanceof CheckFailure
        ? error.message
        : `the kit could not run it: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
    outcome = { name: check.name, passed: false, reason };
  } finally {
    run.stop?.removeEventListener('abort', interrupt);
    clearTimeout(timer);
    // Ends the check's waits and its rotation's watch.
    deadline.abort();
  }
  const leftover = await run.cloud.abandonInFlight();
  if (leftover && outcome.passed) return { name: check.name, passed: false, reason: leftover };
  return outcome;
}
