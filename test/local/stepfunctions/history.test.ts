import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_REGION } from '../../../local/config.ts';
import { type Harness, oneTask, runMachine, startHarness } from './harness.ts';

// History event sequences and fields, as GetExecutionHistory documents them.
describe('execution history', () => {
  let h: Harness;
  let attempts = 0;
  beforeAll(async () => {
    h = await startHarness();
    h.functions.register('once', async () => {
      attempts++;
      if (attempts === 1) throw Object.assign(new Error('first'), { name: 'Transient' });
      return { ok: true };
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('records a Map iteration by iteration, with names and indexes, and links events by previousEventId', async () => {
    const r = await runMachine(
      h,
      {
        StartAt: 'M',
        States: {
          M: {
            Type: 'Map',
            MaxConcurrency: 1,
            ItemProcessor: { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } },
            End: true,
          },
        },
      },
      ['a', 'b'],
    );
    expect(r.events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'MapStateEntered',
      'MapStateStarted',
      'MapIterationStarted',
      'PassStateEntered',
      'PassStateExited',
      'MapIterationSucceeded',
      'MapIterationStarted',
      'PassStateEntered',
      'PassStateExited',
      'MapIterationSucceeded',
      'MapStateSucceeded',
      'MapStateExited',
      'ExecutionSucceeded',
    ]);
    const iterations = r.events
      .filter((e) => e.type === 'MapIterationSucceeded')
      .map((e) => e.mapIterationSucceededEventDetails);
    expect(iterations).toEqual([
      { name: 'M', index: 0 },
      { name: 'M', index: 1 },
    ]);
    expect(r.events.every((e) => (e.previousEventId ?? 0) < (e.id ?? 0))).toBe(true);
    expect(r.events[0]?.executionStartedEventDetails).toMatchObject({
      input: '["a","b"]',
      inputDetails: { truncated: false },
    });
    expect(r.events.at(-1)?.executionSucceededEventDetails).toMatchObject({ output: '["a","b"]' });
  });

  it('records a retried task: each attempt scheduled, started and failed, with the task fields', async () => {
    const r = await runMachine(
      h,
      oneTask({
        Resource: 'arn:aws:states:::lambda:invoke',
        Parameters: { FunctionName: 'once', Payload: { x: 1 } },
        TimeoutSeconds: 30,
        Retry: [{ ErrorEquals: ['Transient'], IntervalSeconds: 0 }],
      }),
    );
    expect(r.events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskScheduled',
      'TaskStarted',
      'TaskSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
    const scheduled = r.events[2]?.taskScheduledEventDetails;
    expect(scheduled).toEqual({
      resourceType: 'lambda',
      resource: 'invoke',
      region: LOCAL_REGION,
      parameters: '{"FunctionName":"once","Payload":{"x":1}}',
      timeoutInSeconds: 30,
    });
    expect(r.events[4]?.taskFailedEventDetails).toMatchObject({
      resourceType: 'lambda',
      resource: 'invoke',
      error: 'Transient',
    });
    expect(JSON.parse(r.events[7]?.taskSucceededEventDetails?.output ?? '{}')).toMatchObject({
      Payload: { ok: true },
      StatusCode: 200,
    });
  });

  it('an uncaught failure has no StateExited; a caught one exits the state and enters the catcher', async () => {
    const failed = await runMachine(h, {
      StartAt: 'F',
      States: { F: { Type: 'Fail', Error: 'E', Cause: 'C' } },
    });
    expect(failed.events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'FailStateEntered',
      'ExecutionFailed',
    ]);
    expect(failed.events[2]?.executionFailedEventDetails).toEqual({ error: 'E', cause: 'C' });
    const caught = await runMachine(h, {
      StartAt: 'P',
      States: {
        P: {
          Type: 'Parallel',
          Branches: [{ StartAt: 'F', States: { F: { Type: 'Fail', Error: 'E' } } }],
          Catch: [{ ErrorEquals: ['E'], Next: 'Ok' }],
          End: true,
        },
        Ok: { Type: 'Succeed' },
      },
    });
    expect(caught.events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'ParallelStateEntered',
      'ParallelStateStarted',
      'FailStateEntered',
      'ParallelStateFailed',
      'ParallelStateExited',
      'SucceedStateEntered',
      'SucceedStateExited',
      'ExecutionSucceeded',
    ]);
  });
});
