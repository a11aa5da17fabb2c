/**
 * The figures of the quota run, from the rotations' executions as the local Step Functions saw them
 * start and end: how fast the paced campaign rotated, against what the tightest quota allows.
 */

export interface RotationSpan {
  readonly name: string;
  readonly startMs: number;
  readonly stopMs: number;
  readonly status: string;
  readonly error?: string | undefined;
  readonly cause?: string | undefined;
}

/**
 * Events per second across a series: (n - 1) intervals over the time from the first to the last,
 * so a run's start-up and its tail do not dilute the rate. Undefined under two events.
 */
export function steadyRate(timesMs: readonly number[]): number | undefined {
  if (timesMs.length < 2) return undefined;
  const sorted = [...timesMs].sort((a, b) => a - b);
  const first = sorted[0] ?? 0;
  const last = sorted.at(-1) ?? 0;
  return last > first ? ((sorted.length - 1) / (last - first)) * 1000 : undefined;
}

/**
 * Events per second as the least-squares slope through the sorted event times: one straggler at either
 * end hardly moves it, as it does the first-to-last rate. Undefined under three events.
 */
export function fittedRate(timesMs: readonly number[]): number | undefined {
  const n = timesMs.length;
  if (n < 3) return undefined;
  const sorted = [...timesMs].sort((a, b) => a - b);
  const meanIndex = (n - 1) / 2;
  const meanTime = sorted.reduce((sum, t) => sum + t, 0) / n;
  let num = 0;
  let den = 0;
  sorted.forEach((t, i) => {
    num += (i - meanIndex) * (t - meanTime);
    den += (i - meanIndex) ** 2;
  });
  // num / den: milliseconds per event.
  return num > 0 ? (den / num) * 1000 : undefined;
}

/** A failure that AWS's throttling caused (the error or its cause names it). */
export function failedByThrottling(span: RotationSpan): boolean {
  return /Throttl|Rate exceeded|TooManyRequests/i.test(`${span.error ?? ''} ${span.cause ?? ''}`);
}

export interface QuotaRunFigures {
  readonly rotations: number;
  readonly succeeded: number;
  readonly failed: number;
  readonly failedByThrottling: number;
  /** Rotations started per second over the paced phase (first start to last start). */
  readonly startsPerSecond: number | undefined;
  /** Rotations finished per second over the paced phase: the slope fitted through their end times. */
  readonly rotationsPerSecond: number | undefined;
  /** The same from the first end to the last one (a straggler at either end lowers it). */
  readonly rotationsPerSecondFirstToLast: number | undefined;
  /** First start to last end, in seconds of the local clock. */
  readonly campaignSeconds: number;
}

export function figuresOf(spans: readonly RotationSpan[]): QuotaRunFigures {
  const failed = spans.filter((s) => s.status !== 'SUCCEEDED');
  const starts = spans.map((s) => s.startMs);
  const stops = spans.map((s) => s.stopMs);
  return {
    rotations: spans.length,
    succeeded: spans.length - failed.length,
    failed: failed.length,
    failedByThrottling: failed.filter(failedByThrottling).length,
    startsPerSecond: steadyRate(starts),
    rotationsPerSecond: fittedRate(stops),
    rotationsPerSecondFirstToLast: steadyRate(stops),
    campaignSeconds: spans.length === 0 ? 0 : (Math.max(...stops) - Math.min(...starts)) / 1000,
  };
}

export interface QuotaVerdict {
  readonly passed: boolean;
  /** Rotations per second over the tightest quota's allowance. */
  readonly ratio: number | undefined;
  readonly reasons: readonly string[];
}

/**
 * The target: no rotation failed (by throttling or otherwise), and the rate within 10% of
 * what the tightest quota allows, and never over it.
 */
export function verdictOf(
  figures: QuotaRunFigures,
  allowance: number,
  expected: number,
  tolerance = 0.1,
): QuotaVerdict {
  const reasons: string[] = [];
  if (figures.failed > 0) {
    reasons.push(`${figures.failed} rotations failed (${figures.failedByThrottling} by throttling)`);
  }
  if (figures.rotations < expected) reasons.push(`${figures.rotations} of ${expected} rotations ended`);
  const rate = figures.rotationsPerSecond;
  const ratio = rate === undefined ? undefined : rate / allowance;
  if (ratio === undefined) reasons.push('too few rotations to measure a rate');
  else if (ratio < 1 - tolerance) {
    reasons.push(
      `${rate?.toFixed(2)} rotations/s is more than ${tolerance * 100}% below the ${allowance.toFixed(2)}/s allowed`,
    );
  } else if (ratio > 1 + tolerance) {
    reasons.push(
      `${rate?.toFixed(2)} rotations/s is faster than the quotas allow (${allowance.toFixed(2)}/s)`,
    );
  }
  return { passed: reasons.length === 0, ratio, reasons };
}
