import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import {
  callbackTask,
  createMachine,
  type Harness,
  oneTask,
  parsed,
  runMachine,
  start,
  startHarness,
  waitForEnd,
  waitForEvent,
} from './harness.ts';

const failing = (name: string, message = 'failed'): Error => {
  const e = new Error(message);
  e.name = name;
  return e;
};

// Retry and Catch as the Amazon States Language defines them: first matching retrier, then catchers.
describe('errors, Retry and Catch', () => {
  let h: Harness;
  const calls = new Map<string, number>();
  beforeAll(async () => {
    h = await startHarness();
    // Fails with the error named in the input until the attempt number reaches `okAt`.
    h.functions.register('flaky', async (event) => {
      const e = typeof event === 'object' && event !== null ? event : {};
      const key = 'key' in e && typeof e.key === 'string' ? e.key : '';
      const okAt = 'okAt' in e && typeof e.okAt === 'number' ? e.okAt : 1;
      const error = 'error' in e && typeof e.error === 'string' ? e.error : 'Flaky';
      const n = (calls.get(key) ?? 0) + 1;
      calls.set(key, n);
      if (n < okAt) throw failing(error, `attempt ${n}`);
      return { attempts: n };
    });
  });
  afterAll(async () => {
    await h.close();
  });

  const task = (extra: object) =>
    oneTask(
      { Resource: h.functions.arnOf('flaky'), ...extra },
      'Catch' in extra ? { Caught: { Type: 'Pass', End: true } } : {},
    );

  it('retries up to MaxAttempts and bills every retry as a transition', async () => {
    const r = await runMachine(
      h,
      task({ Retry: [{ ErrorEquals: ['Flaky'], IntervalSeconds: 0, MaxAttempts: 3 }] }),
      { key: 'a', okAt: 3 },
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(parsed(r.output)).toEqual({ attempts: 3 });
    expect(r.events.filter((e) => e.type === 'LambdaFunctionFailed')).toHaveLength(2);
    expect(h.local.engine.billedTransitions(r.executionArn)).toBe(3);
  });

  it('a retrier whose attempts are spent hands the error to Catch, not to a later retrier', async () => {
    const r = await runMachine(
      h,
      task({
        Retry: [
          { ErrorEquals: ['Flaky'], IntervalSeconds: 0, MaxAttempts: 1 },
          { ErrorEquals: ['States.ALL'], IntervalSeconds: 0, MaxAttempts: 5 },
        ],
        Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.err', Next: 'Caught' }],
      }),
      { key: 'b', okAt: 10 },
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(r.events.filter((e) => e.type === 'LambdaFunctionFailed')).toHaveLength(2);
    const out = parsed(r.output);
    expect(out).toMatchObject({ key: 'b', err: { Error: 'Flaky' } });
  });

  it('MaxAttempts 0 never retries; the first matching catcher wins; States.TaskFailed matches a handler error', async () => {
    const r = await runMachine(
      h,
      task({
        Retry: [{ ErrorEquals: ['Flaky'], MaxAttempts: 0 }],
        Catch: [
          { ErrorEquals: ['Other'], Next: 'Caught', ResultPath: '$.wrong' },
          { ErrorEquals: ['States.TaskFailed'], Next: 'Caught', ResultPath: '$.right' },
          { ErrorEquals: ['States.ALL'], Next: 'Caught', ResultPath: '$.late' },
        ],
      }),
      { key: 'c', okAt: 10 },
    );
    expect(Object.keys(parsed(r.output) as object)).toContain('right');
    expect(r.events.filter((e) => e.type === 'LambdaFunctionFailed')).toHaveLength(1);
  });

  it('an uncaught handler error fails the execution with the error type as name and the Lambda cause', async () => {
    const r = await runMachine(h, task({}), { key: 'd', okAt: 10, error: 'DeviceOffline' });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('DeviceOffline');
    expect(JSON.parse(r.cause ?? '{}')).toMatchObject({
      errorType: 'DeviceOffline',
      errorMessage: 'attempt 1',
    });
  });

  it('States.Runtime is never caught, even by States.ALL', async () => {
    const r = await runMachine(
      h,
      oneTask(
        {
          Resource: h.functions.arnOf('flaky'),
          Parameters: { 'x.$': '$.missing' },
          Catch: [{ ErrorEquals: ['States.ALL'], Next: 'C' }],
        },
        { C: { Type: 'Pass', End: true } },
      ),
    );
    expect([r.status, r.error]).toEqual(['FAILED', 'States.Runtime']);
  });

  it('an unknown function fails with Lambda.ResourceNotFoundException', async () => {
    const r = await runMachine(
      h,
      oneTask({ Resource: 'arn:aws:states:::lambda:invoke', Parameters: { FunctionName: 'nope' } }),
    );
    expect(r.error).toBe('Lambda.ResourceNotFoundException');
  });

  it('Parallel: a failing branch aborts the others and the Parallel state fails with its error', async () => {
    const r = await runMachine(h, {
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          Branches: [
            { StartAt: 'Slow', States: { Slow: { Type: 'Wait', Seconds: 30, End: true } } },
            { StartAt: 'Bad', States: { Bad: { Type: 'Fail', Error: 'BranchBroke', Cause: 'x' } } },
          ],
          Catch: [{ ErrorEquals: ['BranchBroke'], Next: 'Handled' }],
          End: true,
        },
        Handled: { Type: 'Pass', End: true },
      },
    });
    expect(r.status).toBe('SUCCEEDED');
    expect(parsed(r.output)).toEqual({ Error: 'BranchBroke', Cause: 'x' });
    expect(r.events.map((e) => e.type)).toContain('ParallelStateFailed');
  });

  it('Map: a failing iteration fails the Map unless the failure is tolerated', async () => {
    const map = (extra: object) => ({
      StartAt: 'M',
      States: {
        M: {
          Type: 'Map',
          ...extra,
          ItemProcessor: {
            StartAt: 'C',
            States: {
              C: { Type: 'Choice', Choices: [{ Variable: '$', NumericEquals: 2, Next: 'F' }], Default: 'OK' },
              F: { Type: 'Fail', Error: 'Two' },
              OK: { Type: 'Pass', End: true },
            },
          },
          End: true,
        },
      },
    });
    const strict = await runMachine(h, map({}), [1, 2, 3]);
    expect([strict.status, strict.error]).toEqual(['FAILED', 'Two']);
    expect(strict.events.map((e) => e.type)).toContain('MapIterationFailed');
    const lenient = await runMachine(h, map({ ToleratedFailureCount: 1 }), [1, 2, 3]);
    expect(lenient.status).toBe('SUCCEEDED');
    const over = await runMachine(h, map({ ToleratedFailurePercentage: 10 }), [1, 2, 3]);
    expect(over.error).toBe('States.ExceedToleratedFailureThreshold');
  });
});

// Time-driven behaviour on a manual clock: a 24-hour timeout runs in milliseconds.
describe('timeouts and backoff on the shared clock', () => {
  let h: Harness;
  let clock: ManualClock;
  beforeAll(async () => {
    clock = new ManualClock(Date.UTC(2026, 0, 1));
    h = await startHarness({ clock });
    h.functions.register('notify', async () => ({ sent: true }));
  });
  afterAll(async () => {
    await h.close();
  });

  const waitForTimers = async (n: number): Promise<void> => {
    const deadline = Date.now() + 5000;
    while (clock.pendingTimers() < n) {
      if (Date.now() > deadline) throw new Error('timers not armed');
      await new Promise((r) => setTimeout(r, 2));
    }
  };

  it('a callback task with a 24-hour TimeoutSeconds fails with States.Timeout exactly when due', async () => {
    const arn = await createMachine(h, oneTask({ ...callbackTask('notify'), TimeoutSeconds: 86_400 }));
    const exec = await start(h, arn);
    await waitForEvent(h, exec, (ev) => ev.some((e) => e.type === 'TaskSubmitted'));
    await clock.advance(86_399_000);
    expect((await waitForEnd(h, exec, 50).catch(() => undefined))?.status).toBeUndefined();
    await clock.advance(1000);
    const d = await waitForEnd(h, exec);
    expect([d.status, d.error]).toEqual(['FAILED', 'States.Timeout']);
  });

  it('the machine-level TimeoutSeconds ends the execution TIMED_OUT', async () => {
    const arn = await createMachine(h, {
      TimeoutSeconds: 3600,
      StartAt: 'W',
      States: { W: { Type: 'Wait', Seconds: 7200, End: true } },
    });
    const exec = await start(h, arn);
    await waitForEvent(h, exec, (ev) => ev.some((e) => e.type === 'WaitStateEntered'));
    await waitForTimers(2);
    await clock.advance(3600_000);
    const d = await waitForEnd(h, exec);
    expect([d.status, d.error]).toEqual(['TIMED_OUT', 'States.Timeout']);
  });

  it('retry backoff follows IntervalSeconds × BackoffRate^n capped by MaxDelaySeconds', async () => {
    let attempts = 0;
    const times: number[] = [];
    h.functions.register('always', async () => {
      attempts++;
      times.push(clock.now());
      throw failing('Nope');
    });
    const arn = await createMachine(
      h,
      oneTask({
        Resource: h.functions.arnOf('always'),
        Retry: [
          { ErrorEquals: ['Nope'], IntervalSeconds: 10, BackoffRate: 3, MaxAttempts: 3, MaxDelaySeconds: 60 },
        ],
      }),
    );
    const exec = await start(h, arn);
    for (const [i, delay] of [10, 30, 60].entries()) {
      await waitForEvent(
        h,
        exec,
        (ev) => ev.filter((e) => e.type === 'LambdaFunctionFailed').length === i + 1,
      );
      await waitForTimers(1);
      await clock.advance(delay * 1000 - 1000);
      await new Promise((r) => setTimeout(r, 20));
      expect(attempts, `no attempt before the ${delay} s backoff ends`).toBe(i + 1);
      await clock.advance(1000);
    }
    const d = await waitForEnd(h, exec);
    expect(d.status).toBe('FAILED');
    expect(attempts).toBe(4);
    const gaps = times.slice(1).map((t, i) => (t - (times[i] ?? 0)) / 1000);
    expect(gaps).toEqual([10, 30, 60]);
  });
});
