import type { Json, JsonObject } from './json.ts';

/**
 * Error matching and retry backoff as the Amazon States Language defines them. `States.ALL`
 * matches any error (the caller keeps terminal errors away from Retry and Catch);
 * `States.TaskFailed` matches any error but the timeouts; `States.Timeout` also covers a missed
 * heartbeat.
 */
export const errorMatches = (errorEquals: Json | undefined, error: string): boolean => {
  if (!Array.isArray(errorEquals)) return false;
  return errorEquals.some((e) => {
    if (e === error || e === 'States.ALL') return true;
    if (e === 'States.TaskFailed') return error !== 'States.Timeout' && error !== 'States.HeartbeatTimeout';
    if (e === 'States.Timeout') return error === 'States.HeartbeatTimeout';
    return false;
  });
};

/** A retrier's attempt budget (MaxAttempts, default 3). */
export const maxAttempts = (retrier: JsonObject): number =>
  typeof retrier.MaxAttempts === 'number' ? retrier.MaxAttempts : 3;

/**
 * Seconds to wait before retry number `used + 1`: IntervalSeconds × BackoffRate^used (defaults 1 and
 * 2.0), capped by MaxDelaySeconds; with JitterStrategy FULL, a uniform draw in [0, that delay).
 */
export const retryDelaySeconds = (
  retrier: JsonObject,
  used: number,
  random: () => number = Math.random,
): number => {
  const interval = typeof retrier.IntervalSeconds === 'number' ? retrier.IntervalSeconds : 1;
  const rate = typeof retrier.BackoffRate === 'number' ? retrier.BackoffRate : 2;
  let delay = interval * rate ** used;
  if (typeof retrier.MaxDelaySeconds === 'number') delay = Math.min(delay, retrier.MaxDelaySeconds);
  return retrier.JitterStrategy === 'FULL' ? random() * delay : delay;
};
