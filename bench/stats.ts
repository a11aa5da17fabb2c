/** Order statistics for benchmark samples. */

export class EmptySampleError extends Error {
  override readonly name = 'EmptySampleError';
}

/**
 * The `p`-th percentile (0..100) by the nearest-rank method: the smallest sample such that at least
 * p% of the samples are at or below it. Nearest-rank never invents a value that was not measured.
 */
export function percentile(samples: readonly number[], p: number): number {
  if (samples.length === 0) throw new EmptySampleError('no samples to take a percentile of');
  if (!(p >= 0 && p <= 100)) throw new RangeError(`percentile must be within 0..100, got ${p}`);
  const sorted = [...samples].sort((a, b) => a - b);
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[rank - 1] ?? Number.NaN;
}

export function median(samples: readonly number[]): number {
  return percentile(samples, 50);
}

export function mean(samples: readonly number[]): number {
  if (samples.length === 0) throw new EmptySampleError('no samples to average');
  return samples.reduce((sum, x) => sum + x, 0) / samples.length;
}
