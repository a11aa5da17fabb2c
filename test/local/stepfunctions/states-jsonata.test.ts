import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, oneJsonataTask, parsed, runMachine, startHarness } from './harness.ts';

// JSONata states: {% %} fields, $states (input, result, errorOutput, context), Arguments, Output, Assign.
describe('JSONata states', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.functions.register('echo', async (event) => ({ got: event }));
    h.functions.register('boom', async () => {
      const e = new Error('it broke');
      e.name = 'BoomError';
      throw e;
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('Task: Arguments build the call, Output shapes $states.result, Assign and Output see the same old variables', async () => {
    const r = await runMachine(
      h,
      {
        QueryLanguage: 'JSONata',
        StartAt: 'Init',
        States: {
          Init: { Type: 'Pass', Assign: { count: 1 }, Next: 'T' },
          T: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Arguments: {
              FunctionName: 'echo',
              Payload: { n: '{% $states.input.n * 2 %}', name: '{% $states.context.State.Name %}' },
            },
            Assign: { count: '{% $count + 1 %}' },
            Output: { result: '{% $states.result.Payload.got %}', countSeen: '{% $count %}' },
            Next: 'After',
          },
          After: { Type: 'Pass', Output: '{% $merge([$states.input, {"count": $count}]) %}', End: true },
        },
      },
      { n: 5 },
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(parsed(r.output)).toEqual({ result: { n: 10, name: 'T' }, countSeen: 1, count: 2 });
  });

  it('Choice: Condition picks the rule; a rule can carry its own Output', async () => {
    const definition = {
      QueryLanguage: 'JSONata',
      StartAt: 'C',
      States: {
        C: {
          Type: 'Choice',
          Choices: [{ Condition: '{% $states.input.age >= 18 %}', Next: 'Adult', Output: { kind: 'adult' } }],
          Default: 'Minor',
        },
        Adult: { Type: 'Succeed' },
        Minor: { Type: 'Pass', Output: { kind: 'minor' }, End: true },
      },
    };
    expect(parsed((await runMachine(h, definition, { age: 30 })).output)).toEqual({ kind: 'adult' });
    expect(parsed((await runMachine(h, definition, { age: 3 })).output)).toEqual({ kind: 'minor' });
  });

  it('Map: Items and ItemSelector with $states.context.Map.Item; Parallel: Arguments to every branch', async () => {
    const r = await runMachine(
      h,
      {
        QueryLanguage: 'JSONata',
        StartAt: 'M',
        States: {
          M: {
            Type: 'Map',
            Items: '{% $states.input.xs %}',
            ItemSelector: {
              v: '{% $states.context.Map.Item.Value %}',
              i: '{% $states.context.Map.Item.Index %}',
            },
            ItemProcessor: {
              StartAt: 'X',
              States: {
                X: { Type: 'Pass', Output: '{% $states.input.v * 10 + $states.input.i %}', End: true },
              },
            },
            Next: 'P',
          },
          P: {
            Type: 'Parallel',
            Arguments: { list: '{% $states.input %}' },
            Branches: [
              {
                StartAt: 'S',
                States: { S: { Type: 'Pass', Output: '{% $sum($states.input.list) %}', End: true } },
              },
              {
                StartAt: 'C',
                States: { C: { Type: 'Pass', Output: '{% $count($states.input.list) %}', End: true } },
              },
            ],
            Output: { sum: '{% $states.result[0] %}', count: '{% $states.result[1] %}' },
            End: true,
          },
        },
      },
      { xs: [1, 2, 3] },
    );
    expect(parsed(r.output)).toEqual({ sum: 10 + 21 + 32, count: 3 });
  });

  it('Catch: Output receives $states.errorOutput with the handler error type as Error', async () => {
    const r = await runMachine(
      h,
      oneJsonataTask(
        {
          Resource: 'arn:aws:states:::lambda:invoke',
          Arguments: { FunctionName: 'boom', Payload: {} },
          Catch: [
            {
              ErrorEquals: ['BoomError'],
              Output: { caught: '{% $states.errorOutput.Error %}' },
              Assign: { seen: true },
              Next: 'Done',
            },
          ],
        },
        { Done: { Type: 'Pass', Output: '{% $merge([$states.input, {"seen": $seen}]) %}', End: true } },
      ),
    );
    expect(parsed(r.output)).toEqual({ caught: 'BoomError', seen: true });
  });

  it('Wait and Fail take expressions; a failing expression raises States.QueryEvaluationError', async () => {
    const ok = await runMachine(
      h,
      {
        QueryLanguage: 'JSONata',
        StartAt: 'W',
        States: {
          W: { Type: 'Wait', Seconds: '{% $states.input.s %}', Next: 'F' },
          F: {
            Type: 'Fail',
            Error: '{% "E" & $string($states.input.s) %}',
            Cause: '{% $states.context.Execution.Name %}',
          },
        },
      },
      { s: 0 },
    );
    expect([ok.status, ok.error]).toEqual(['FAILED', 'E0']);
    expect(ok.cause).toBe(ok.name);
    const bad = await runMachine(
      h,
      {
        QueryLanguage: 'JSONata',
        StartAt: 'P',
        States: { P: { Type: 'Pass', Output: '{% $states.input.a.b %}', End: true } },
      },
      {},
    );
    expect([bad.status, bad.error]).toEqual(['FAILED', 'States.QueryEvaluationError']);
    const failed = bad.events.find((e) => e.type === 'EvaluationFailed')?.evaluationFailedEventDetails;
    expect(failed).toMatchObject({ state: 'P', error: 'States.QueryEvaluationError', location: 'P.Output' });
    const evalRefused = await runMachine(h, {
      QueryLanguage: 'JSONata',
      StartAt: 'P',
      States: { P: { Type: 'Pass', Output: '{% $eval("1+1") %}', End: true } },
    });
    expect(evalRefused.error).toBe('States.QueryEvaluationError');
  });

  it('offers the Step Functions JSONata functions $partition, $range, $hash and $parse', async () => {
    const r = await runMachine(h, {
      QueryLanguage: 'JSONata',
      StartAt: 'P',
      States: {
        P: {
          Type: 'Pass',
          Output: {
            parts: '{% $partition([1,2,3,4,5], 2) %}',
            range: '{% $range(0, 6, 2) %}',
            hash: '{% $hash("abc", "SHA-256") %}',
            parsed: '{% $parse("{\\"a\\":1}") %}',
            uuid: '{% $length($uuid()) %}',
          },
          End: true,
        },
      },
    });
    expect(parsed(r.output)).toEqual({
      parts: [[1, 2], [3, 4], [5]],
      range: [0, 2, 4, 6],
      hash: 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
      parsed: { a: 1 },
      uuid: 36,
    });
  });

  it('a JSONata state in a JSONPath machine mixes per state', async () => {
    const r = await runMachine(
      h,
      {
        StartAt: 'A',
        States: {
          A: { Type: 'Pass', Parameters: { 'x.$': '$.x' }, Next: 'B' },
          B: { Type: 'Pass', QueryLanguage: 'JSONata', Output: '{% $states.input.x + 1 %}', End: true },
        },
      },
      { x: 41 },
    );
    expect(parsed(r.output)).toBe(42);
  });
});
