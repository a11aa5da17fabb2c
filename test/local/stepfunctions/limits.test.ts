import {
  GetExecutionHistoryCommand,
  InvalidExecutionInput,
  InvalidOutput,
  SendTaskSuccessCommand,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HISTORY_LIMIT, PAYLOAD_LIMIT } from '../../../local/stepfunctions/limits.ts';
import {
  createMachine,
  type Harness,
  oneJsonataTask,
  parsed,
  runMachine,
  start,
  startHarness,
  waitForEnd,
  waitForEvent,
} from './harness.ts';

/** A JSON string value whose text is exactly `bytes` bytes of UTF-8 (with its quotes). */
const jsonStringOf = (bytes: number, char = 'a'): string => {
  const width = Buffer.byteLength(char);
  const body = bytes - 2;
  if (body % width !== 0) throw new Error(`${bytes} bytes cannot be made of '${char}'`);
  return char.repeat(body / width);
};

// Step Functions' payload quota (256 KiB of UTF-8) and history quota (25,000 events), each at its
// boundary: the largest accepted, and one byte or one event more.
describe('Step Functions quotas on the local engine', () => {
  let h: Harness;
  let echo: string;
  let big: string;
  const bigSize = { bytes: 0 };
  let invoked = 0;
  const tokens: string[] = [];

  beforeAll(async () => {
    h = await startHarness();
    echo = h.functions.register('limits-echo', async (event) => event).arn;
    // Answers with a JSON string of the size the test asks for.
    big = h.functions.register('limits-big', async () => jsonStringOf(bigSize.bytes)).arn;
    h.functions.register('limits-counted', async () => {
      invoked++;
      return {};
    });
    h.functions.register('limits-callback', async (event) => {
      if (typeof event === 'object' && event !== null && 'token' in event) tokens.push(String(event.token));
      return {};
    });
  });
  afterAll(async () => {
    await h.close();
  });

  describe('StartExecution input', () => {
    const passThrough = { StartAt: 'P', States: { P: { Type: 'Pass', End: true } } };

    it('takes 256 KiB of UTF-8 (counted in bytes, not characters) and refuses one byte more with InvalidExecutionInput', async () => {
      // Prepare: 'é' is two bytes in UTF-8, so a character count would let the larger input through.
      const machine = await createMachine(h, passThrough);
      const atLimit = JSON.stringify(jsonStringOf(PAYLOAD_LIMIT, 'é'));
      const over = JSON.stringify(`${jsonStringOf(PAYLOAD_LIMIT, 'é')}a`);

      // Act
      const accepted = await h.sfn.send(
        new StartExecutionCommand({ stateMachineArn: machine, input: atLimit }),
      );
      const refused = h.sfn.send(new StartExecutionCommand({ stateMachineArn: machine, input: over }));

      // Assess
      expect(Buffer.byteLength(atLimit)).toBe(PAYLOAD_LIMIT);
      expect(over.length).toBeLessThan(PAYLOAD_LIMIT);
      await expect(refused).rejects.toBeInstanceOf(InvalidExecutionInput);
      const done = await waitForEnd(h, accepted.executionArn ?? '');
      expect(done.status).toBe('SUCCEEDED');
      expect(done.output).toBe(atLimit);
    });
  });

  describe('SendTaskSuccess output', () => {
    it('takes 256 KiB and refuses one byte more with InvalidOutput; the task stays open for a valid answer', async () => {
      // Prepare
      const machine = await createMachine(h, {
        QueryLanguage: 'JSONata',
        StartAt: 'Wait',
        States: {
          Wait: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
            Arguments: {
              FunctionName: 'limits-callback',
              Payload: { token: '{% $states.context.Task.Token %}' },
            },
            End: true,
          },
        },
      });
      const exec = await start(h, machine);
      await waitForEvent(h, exec, (events) => events.some((e) => e.type === 'TaskSubmitted'));
      const taskToken = tokens.at(-1);
      const atLimit = JSON.stringify(jsonStringOf(PAYLOAD_LIMIT));

      // Act
      const refused = h.sfn.send(
        new SendTaskSuccessCommand({ taskToken, output: JSON.stringify(`${jsonStringOf(PAYLOAD_LIMIT)}a`) }),
      );
      await expect(refused).rejects.toBeInstanceOf(InvalidOutput);
      await h.sfn.send(new SendTaskSuccessCommand({ taskToken, output: atLimit }));
      const done = await waitForEnd(h, exec);

      // Assess
      expect(done.status).toBe('SUCCEEDED');
      expect(done.output).toBe(atLimit);
    });
  });

  describe('inside an execution: States.DataLimitExceeded', () => {
    // The Pass state outputs its input string with seven characters more.
    const growingStates = {
      StartAt: 'Grow',
      States: {
        Grow: { Type: 'Pass', Output: '{% $states.input.s & "1234567" %}', Next: 'Done' },
        Done: { Type: 'Succeed' },
      },
    };
    const growing = { QueryLanguage: 'JSONata', ...growingStates };
    // An input {"s": "..."} of `bytes` - 9 bytes, whose Grow output is `bytes` bytes.
    const inputFor = (outputBytes: number) => ({ s: jsonStringOf(outputBytes - 7) });

    it('a state output of 256 KiB passes', async () => {
      const run = await runMachine(h, growing, inputFor(PAYLOAD_LIMIT));
      expect(run.status).toBe('SUCCEEDED');
      expect(Buffer.byteLength(run.output ?? '')).toBe(PAYLOAD_LIMIT);
    });

    it('a state output one byte over fails the execution, uncaught by States.ALL', async () => {
      // Prepare: a catch-all on a Parallel around the state must not catch it.
      const caught = {
        QueryLanguage: 'JSONata',
        StartAt: 'Around',
        States: {
          Around: {
            Type: 'Parallel',
            Branches: [growingStates],
            Catch: [{ ErrorEquals: ['States.ALL'], Next: 'Caught' }],
            Output: {},
            End: true,
          },
          Caught: { Type: 'Succeed' },
        },
      };

      // Act
      const run = await runMachine(h, caught, inputFor(PAYLOAD_LIMIT + 1));

      // Assess
      expect(run.status).toBe('FAILED');
      expect(run.error).toBe('States.DataLimitExceeded');
      expect(run.cause).toBe(
        "The state/task 'Grow' returned a result with a size exceeding the maximum number of bytes service limit.",
      );
    });

    it.each([
      [PAYLOAD_LIMIT, 'SUCCEEDED'],
      [PAYLOAD_LIMIT + 1, 'FAILED'],
    ])('a task result of %i bytes: %s, even when Output discards it', async (bytes, status) => {
      // Prepare
      bigSize.bytes = bytes;

      // Act
      const run = await runMachine(h, oneJsonataTask({ Resource: big, Output: {} }));

      // Assess
      expect(run.status).toBe(status);
      if (status === 'FAILED') {
        expect(run.error).toBe('States.DataLimitExceeded');
        expect(run.cause).toContain(`The state/task '${big}' returned a result with a size exceeding`);
        expect(run.events.map((e) => e.type)).toContain('LambdaFunctionFailed');
      }
    });

    it.each([
      [PAYLOAD_LIMIT, 'SUCCEEDED', 1],
      [PAYLOAD_LIMIT + 1, 'FAILED', 0],
    ])('task parameters of %i bytes: %s, the function called %i time(s)', async (bytes, status, calls) => {
      // Prepare: the Arguments are the input's string and twelve characters more.
      invoked = 0;
      const definition = oneJsonataTask({
        Resource: h.functions.arnOf('limits-counted'),
        Arguments: '{% $states.input.s & "123456789012" %}',
      });

      // Act
      const run = await runMachine(h, definition, { s: jsonStringOf(bytes - 12) });

      // Assess
      expect(run.status).toBe(status);
      expect(invoked).toBe(calls);
      if (status === 'FAILED') expect(run.error).toBe('States.DataLimitExceeded');
    });

    it.each([
      [PAYLOAD_LIMIT, 'SUCCEEDED'],
      [PAYLOAD_LIMIT + 1, 'FAILED'],
    ])('a state input of %i bytes (a Parallel branch built by Arguments): %s', async (bytes, status) => {
      // Act
      const run = await runMachine(
        h,
        {
          QueryLanguage: 'JSONata',
          StartAt: 'Fan',
          States: {
            Fan: {
              Type: 'Parallel',
              Arguments: '{% $states.input.s & "123456789012" %}',
              Branches: [{ StartAt: 'Take', States: { Take: { Type: 'Pass', Output: {}, End: true } } }],
              End: true,
            },
          },
        },
        { s: jsonStringOf(bytes - 12) },
      );

      // Assess
      expect(run.status).toBe(status);
      if (status === 'FAILED') {
        expect(run.error).toBe('States.DataLimitExceeded');
        expect(run.cause).toContain("'Take'");
      }
    });

    it('the engine echoes a 256 KiB parameter payload through a function unchanged (the sizes are exact)', async () => {
      const s = jsonStringOf(PAYLOAD_LIMIT - 12);
      const run = await runMachine(
        h,
        oneJsonataTask({
          Resource: echo,
          Arguments: '{% $states.input.s & "123456789012" %}',
          Output: '{% $length($states.result) %}',
        }),
        { s },
      );
      expect(run.status).toBe('SUCCEEDED');
      expect(parsed(run.output)).toBe(PAYLOAD_LIMIT - 2);
    });
  });

  describe('history: 25,000 events', () => {
    // Init, then `loops` turns of Loop and Check (four events each), Pad, then `tail`.
    const looping = (loops: number, tail: Record<string, unknown>) => ({
      QueryLanguage: 'JSONata',
      StartAt: 'Init',
      States: {
        Init: { Type: 'Pass', Assign: { n: 0 }, Next: 'Loop' },
        Loop: { Type: 'Pass', Assign: { n: '{% $n + 1 %}' }, Next: 'Check' },
        Check: {
          Type: 'Choice',
          Choices: [{ Condition: `{% $n < ${loops} %}`, Next: 'Loop' }],
          Default: 'Pad',
        },
        Pad: { Type: 'Pass', Next: 'Tail' },
        ...tail,
      },
    });
    // ExecutionStarted, Init (2), the turns (4 each), Pad (2): the tail starts at event 4 × loops + 6.
    const loops = (HISTORY_LIMIT - 8) / 4;
    const lastEvents = async (executionArn: string) =>
      (await h.sfn.send(new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 2 })))
        .events ?? [];
    const slow = 120_000;

    it('an execution whose 25,000th event is ExecutionSucceeded succeeds', async () => {
      // Act: the tail is one Succeed state (two events), then ExecutionSucceeded.
      const machine = await createMachine(h, looping(loops, { Tail: { Type: 'Succeed' } }));
      const exec = await start(h, machine);
      const done = await waitForEnd(h, exec, slow);

      // Assess
      expect(done.status).toBe('SUCCEEDED');
      const [last] = await lastEvents(exec);
      expect(last).toMatchObject({ id: HISTORY_LIMIT, type: 'ExecutionSucceeded' });
    });

    it('one state more: event 25,000 is ExecutionFailed with States.Runtime, and nothing is recorded after it', async () => {
      // Act: the tail is a Pass and a Succeed: SucceedStateEntered would be event 25,000.
      const machine = await createMachine(
        h,
        looping(loops, { Tail: { Type: 'Pass', Next: 'Last' }, Last: { Type: 'Succeed' } }),
      );
      const exec = await start(h, machine);
      const done = await waitForEnd(h, exec, slow);

      // Assess
      expect(done.status).toBe('FAILED');
      expect(done.error).toBe('States.Runtime');
      expect(done.cause).toBe('The execution reached the maximum number of history events (25000).');
      const [last, before] = await lastEvents(exec);
      expect(last).toMatchObject({ id: HISTORY_LIMIT, type: 'ExecutionFailed' });
      expect(before).toMatchObject({ id: HISTORY_LIMIT - 1, type: 'PassStateExited' });
    });

    it('a task whose LambdaFunctionStarted would be event 25,000 is never called', async () => {
      // Prepare: TaskStateEntered, LambdaFunctionScheduled, then LambdaFunctionStarted as event 25,000.
      invoked = 0;
      const machine = await createMachine(
        h,
        looping(loops, { Tail: { Type: 'Task', Resource: h.functions.arnOf('limits-counted'), End: true } }),
      );

      // Act
      const exec = await start(h, machine);
      const done = await waitForEnd(h, exec, slow);

      // Assess
      expect(done.status).toBe('FAILED');
      expect(done.error).toBe('States.Runtime');
      const [last, before] = await lastEvents(exec);
      expect(last).toMatchObject({ id: HISTORY_LIMIT, type: 'ExecutionFailed' });
      expect(before?.type).toBe('LambdaFunctionScheduled');
      expect(invoked).toBe(0);
    });
  });
});
