import {
  InvalidToken,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import {
  callbackTask,
  createMachine,
  type Harness,
  oneTask,
  parsed,
  start,
  startHarness,
  waitForEnd,
  waitForEvent,
} from './harness.ts';

// Callback tasks (.waitForTaskToken) and SendTaskSuccess / SendTaskFailure / SendTaskHeartbeat.
describe('callback tokens', () => {
  let h: Harness;
  let clock: ManualClock;
  const tokens: string[] = [];
  beforeAll(async () => {
    clock = new ManualClock(Date.UTC(2026, 2, 1));
    h = await startHarness({ clock });
    h.functions.register('deliver', async (event) => {
      if (
        typeof event === 'object' &&
        event !== null &&
        'token' in event &&
        typeof event.token === 'string'
      ) {
        tokens.push(event.token);
      }
      return { delivered: true };
    });
  });
  afterAll(async () => {
    await h.close();
  });

  const machine = (extra: object = {}) =>
    createMachine(h, {
      StartAt: 'Ask',
      States: {
        Ask: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
          Parameters: { FunctionName: 'deliver', Payload: { 'token.$': '$$.Task.Token', 'input.$': '$' } },
          ResultPath: '$.reply',
          ...extra,
          End: true,
        },
      },
    });

  const nextToken = async (exec: string, count: number): Promise<string> => {
    await waitForEvent(h, exec, (ev) => ev.filter((e) => e.type === 'TaskSubmitted').length >= count);
    const t = tokens.at(-1);
    if (!t) throw new Error('no token delivered');
    return t;
  };

  it('SendTaskSuccess resumes the task with its output; the history is Scheduled, Started, Submitted, Succeeded', async () => {
    const exec = await start(h, await machine(), { q: 1 });
    const token = await nextToken(exec, 1);
    await h.sfn.send(
      new SendTaskSuccessCommand({ taskToken: token, output: JSON.stringify({ csr: 'PEM' }) }),
    );
    const d = await waitForEnd(h, exec);
    expect(d.status).toBe('SUCCEEDED');
    expect(parsed(d.output)).toEqual({ q: 1, reply: { csr: 'PEM' } });
    const events = await waitForEvent(h, exec, () => true);
    expect(events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskSubmitted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    const scheduled = events[2]?.taskScheduledEventDetails;
    expect(scheduled?.resourceType).toBe('lambda');
    expect(scheduled?.resource).toBe('invoke.waitForTaskToken');
    // A token answered once is closed: a second answer is TaskTimedOut, as on AWS.
    await expect(
      h.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toBeInstanceOf(TaskTimedOut);
  });

  it('SendTaskFailure fails the task with the given error and cause, which Catch can match', async () => {
    const arn = await createMachine(
      h,
      oneTask(
        { ...callbackTask('deliver'), Catch: [{ ErrorEquals: ['DeviceRejected'], Next: 'Rejected' }] },
        { Rejected: { Type: 'Pass', End: true } },
      ),
    );
    const exec = await start(h, arn);
    const token = await nextToken(exec, 1);
    await h.sfn.send(
      new SendTaskFailureCommand({ taskToken: token, error: 'DeviceRejected', cause: 'bad CSR' }),
    );
    const d = await waitForEnd(h, exec);
    expect(parsed(d.output)).toEqual({ Error: 'DeviceRejected', Cause: 'bad CSR' });
  });

  it('garbage tokens are InvalidToken; bad output is InvalidOutput', async () => {
    await expect(
      h.sfn.send(new SendTaskSuccessCommand({ taskToken: 'not a token!', output: '{}' })),
    ).rejects.toBeInstanceOf(InvalidToken);
    await expect(h.sfn.send(new SendTaskHeartbeatCommand({ taskToken: 'AAAA' }))).rejects.toBeInstanceOf(
      InvalidToken,
    );
    const exec = await start(h, await machine());
    const token = await nextToken(exec, 1);
    await expect(
      h.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{not json' })),
    ).rejects.toMatchObject({ name: 'InvalidOutput' });
    await h.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '1' }));
    expect((await waitForEnd(h, exec)).status).toBe('SUCCEEDED');
  });

  it('heartbeats keep a task alive; a missed heartbeat fails with States.HeartbeatTimeout, which retries with a new token', async () => {
    const exec = await start(
      h,
      await machine({
        HeartbeatSeconds: 60,
        TimeoutSeconds: 3600,
        Retry: [{ ErrorEquals: ['States.HeartbeatTimeout'], IntervalSeconds: 1, MaxAttempts: 1 }],
      }),
    );
    const before = tokens.length;
    const token = await nextToken(exec, 1);
    expect(tokens.length).toBe(before + 1);
    await clock.advance(50_000);
    await h.sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await clock.advance(50_000); // 100 s since the start, 50 s since the heartbeat: still alive
    await h.sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await clock.advance(61_000); // no heartbeat for 61 s
    await waitForEvent(h, exec, (ev) => ev.some((e) => e.type === 'TaskTimedOut'));
    await expect(h.sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }))).rejects.toBeInstanceOf(
      TaskTimedOut,
    );
    await clock.advance(1000);
    const retryToken = await nextToken(exec, 2);
    expect(retryToken).not.toBe(token);
    await h.sfn.send(new SendTaskSuccessCommand({ taskToken: retryToken, output: '"ok"' }));
    const d = await waitForEnd(h, exec);
    expect(d.status).toBe('SUCCEEDED');
    const events = await waitForEvent(h, exec, () => true);
    const timedOut = events.find((e) => e.type === 'TaskTimedOut');
    expect(timedOut?.taskTimedOutEventDetails?.error).toBe('States.HeartbeatTimeout');
  });
});
