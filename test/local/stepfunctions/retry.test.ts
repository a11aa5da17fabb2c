import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { errorMatches, maxAttempts, retryDelaySeconds } from '../../../local/stepfunctions/retry.ts';

describe('error matching', () => {
  it('matches names exactly, States.ALL everything, States.TaskFailed all but timeouts, States.Timeout heartbeats too', () => {
    expect(errorMatches(['MyError'], 'MyError')).toBe(true);
    expect(errorMatches(['MyError'], 'myerror')).toBe(false);
    expect(errorMatches(['States.ALL'], 'Anything')).toBe(true);
    expect(errorMatches(['States.TaskFailed'], 'Lambda.ServiceException')).toBe(true);
    expect(errorMatches(['States.TaskFailed'], 'States.Timeout')).toBe(false);
    expect(errorMatches(['States.TaskFailed'], 'States.HeartbeatTimeout')).toBe(false);
    expect(errorMatches(['States.Timeout'], 'States.HeartbeatTimeout')).toBe(true);
    expect(errorMatches(['States.HeartbeatTimeout'], 'States.Timeout')).toBe(false);
    expect(errorMatches(undefined, 'X')).toBe(false);
  });
});

describe('retry backoff', () => {
  it('uses the defaults: 1 s, rate 2.0, 3 attempts', () => {
    expect([0, 1, 2].map((n) => retryDelaySeconds({}, n))).toEqual([1, 2, 4]);
    expect(maxAttempts({})).toBe(3);
    expect(maxAttempts({ MaxAttempts: 0 })).toBe(0);
  });

  it('grows by BackoffRate, never past MaxDelaySeconds, and FULL jitter stays within [0, delay) (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 600 }),
        fc.double({ min: 1, max: 5, noNaN: true }),
        fc.integer({ min: 1, max: 3600 }),
        fc.integer({ min: 0, max: 20 }),
        fc.double({ min: 0, max: 0.999999, noNaN: true }),
        (interval, rate, cap, used, draw) => {
          const retrier = { IntervalSeconds: interval, BackoffRate: rate, MaxDelaySeconds: cap };
          const delay = retryDelaySeconds(retrier, used);
          const next = retryDelaySeconds(retrier, used + 1);
          const jittered = retryDelaySeconds({ ...retrier, JitterStrategy: 'FULL' }, used, () => draw);
          return (
            delay <= cap &&
            next >= delay &&
            jittered >= 0 &&
            jittered <= delay &&
            (used > 0 || delay === Math.min(interval, cap))
          );
        },
      ),
    );
  });
});
