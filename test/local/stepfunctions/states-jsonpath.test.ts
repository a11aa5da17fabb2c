import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, oneTask, parsed, runMachine, startHarness } from './harness.ts';

// Every state type in JSONPath, as the Amazon States Language specifies their input and output processing.
describe('JSONPath states', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness();
    h.functions.register('double', async (event) => {
      const n =
        typeof event === 'object' && event !== null && 'n' in event && typeof event.n === 'number'
          ? event.n
          : 0;
      return { doubled: n * 2 };
    });
  });
  afterAll(async () => {
    await h.close();
  });

  it('applies InputPath, Parameters, ResultSelector, ResultPath and OutputPath in that order', async () => {
    // Prepare
    const definition = oneTask({
      Resource: 'arn:aws:states:::lambda:invoke',
      InputPath: '$.data',
      Parameters: { FunctionName: 'double', Payload: { 'n.$': '$.value' } },
      ResultSelector: { 'twice.$': '$.Payload.doubled', 'code.$': '$.StatusCode' },
      ResultPath: '$.result',
      OutputPath: '$.result',
    });
    // Act
    const r = await runMachine(h, definition, { data: { value: 21 }, other: true });
    // Assess
    expect(r.status).toBe('SUCCEEDED');
    expect(parsed(r.output)).toEqual({ twice: 42, code: 200 });
  });

  it('Pass: Result replaces the effective input, ResultPath null keeps the input, Parameters reads the context', async () => {
    const r = await runMachine(
      h,
      {
        StartAt: 'A',
        States: {
          A: { Type: 'Pass', Result: 'ignored', ResultPath: null, Next: 'B' },
          B: {
            Type: 'Pass',
            Parameters: { 'state.$': '$$.State.Name', 'orig.$': '$.k', fixed: [1, 2] },
            Next: 'C',
          },
          C: { Type: 'Pass', Result: { a: 1 }, ResultPath: '$.deep.inside', End: true },
        },
      },
      { k: 'v' },
    );
    expect(parsed(r.output)).toEqual({ state: 'B', orig: 'v', fixed: [1, 2], deep: { inside: { a: 1 } } });
  });

  it('Choice: evaluates rules in order with And/Or/Not, Path comparisons, IsPresent and falls to Default', async () => {
    const definition = {
      StartAt: 'C',
      States: {
        C: {
          Type: 'Choice',
          Choices: [
            {
              And: [
                { Variable: '$.n', NumericGreaterThan: 10 },
                { Variable: '$.s', StringMatches: 'ab*' },
              ],
              Next: 'Big',
            },
            {
              Or: [
                { Variable: '$.missing', IsPresent: true },
                { Not: { Variable: '$.flag', BooleanEquals: false } },
              ],
              Next: 'Flag',
            },
            { Variable: '$.n', NumericEqualsPath: '$.m', Next: 'Same' },
            { Variable: '$.t', TimestampLessThan: '2030-01-01T00:00:00Z', Next: 'Early' },
          ],
          Default: 'Other',
        },
        Big: { Type: 'Pass', Result: 'big', End: true },
        Flag: { Type: 'Pass', Result: 'flag', End: true },
        Same: { Type: 'Pass', Result: 'same', End: true },
        Early: { Type: 'Pass', Result: 'early', End: true },
        Other: { Type: 'Pass', Result: 'other', End: true },
      },
    };
    const cases: [object, string][] = [
      [{ n: 11, s: 'abc', flag: false }, 'big'],
      [{ n: 11, s: 'xbc', flag: true }, 'flag'],
      [{ n: 3, m: 3, s: '', flag: false }, 'same'],
      [{ n: 3, m: 4, s: '', flag: false, t: '2026-05-01T10:00:00Z' }, 'early'],
      [{ n: 3, m: 4, s: '', flag: false, t: '2031-05-01T10:00:00Z' }, 'other'],
    ];
    for (const [input, expected] of cases) {
      const r = await runMachine(h, definition, input);
      expect(parsed(r.output), JSON.stringify(input)).toBe(expected);
    }
  });

  it('Choice: no matching rule and no Default fails with States.NoChoiceMatched', async () => {
    const r = await runMachine(h, {
      StartAt: 'C',
      States: {
        C: { Type: 'Choice', Choices: [{ Variable: '$.x', IsPresent: true, Next: 'E' }] },
        E: { Type: 'Succeed' },
      },
    });
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.NoChoiceMatched');
  });

  it('Wait: Seconds, SecondsPath, Timestamp and TimestampPath all wake the state', async () => {
    const r = await runMachine(
      h,
      {
        StartAt: 'W1',
        States: {
          W1: { Type: 'Wait', Seconds: 0, Next: 'W2' },
          W2: { Type: 'Wait', SecondsPath: '$.s', Next: 'W3' },
          W3: { Type: 'Wait', Timestamp: '2001-01-01T00:00:00Z', Next: 'W4' },
          W4: { Type: 'Wait', TimestampPath: '$.ts', End: true },
        },
      },
      { s: 0, ts: '2002-02-02T00:00:00.000Z' },
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(r.events.filter((e) => e.type === 'WaitStateExited')).toHaveLength(4);
  });

  it('Fail: Error and Cause, or ErrorPath and CausePath from the input', async () => {
    const a = await runMachine(h, {
      StartAt: 'F',
      States: { F: { Type: 'Fail', Error: 'MyError', Cause: 'because' } },
    });
    expect([a.status, a.error, a.cause]).toEqual(['FAILED', 'MyError', 'because']);
    const b = await runMachine(
      h,
      {
        StartAt: 'F',
        States: { F: { Type: 'Fail', ErrorPath: '$.e', CausePath: "States.Format('code {}', $.c)" } },
      },
      { e: 'Dyn', c: 7 },
    );
    expect([b.error, b.cause]).toEqual(['Dyn', 'code 7']);
  });

  it('Succeed: OutputPath selects the output', async () => {
    const r = await runMachine(
      h,
      { StartAt: 'S', States: { S: { Type: 'Succeed', OutputPath: '$.keep' } } },
      { keep: { x: 1 }, drop: 2 },
    );
    expect(parsed(r.output)).toEqual({ x: 1 });
  });

  it('Parallel: branch outputs in branch order, then ResultSelector and ResultPath', async () => {
    const r = await runMachine(
      h,
      {
        StartAt: 'P',
        States: {
          P: {
            Type: 'Parallel',
            Branches: [
              {
                StartAt: 'A',
                States: {
                  A: { Type: 'Wait', Seconds: 0, Next: 'A2' },
                  A2: { Type: 'Pass', Result: 'a', End: true },
                },
              },
              { StartAt: 'B', States: { B: { Type: 'Pass', InputPath: '$.v', End: true } } },
            ],
            ResultSelector: { 'first.$': '$[0]', 'second.$': '$[1]' },
            ResultPath: '$.out',
            End: true,
          },
        },
      },
      { v: 5 },
    );
    expect(parsed(r.output)).toEqual({ v: 5, out: { first: 'a', second: 5 } });
    const types = r.events.map((e) => e.type);
    expect(types[1]).toBe('ParallelStateEntered');
    expect(types[2]).toBe('ParallelStateStarted');
    expect(types.at(-3)).toBe('ParallelStateSucceeded');
    expect(types.at(-2)).toBe('ParallelStateExited');
  });

  it('Map: ItemsPath, ItemSelector with $$.Map.Item, MaxConcurrency, results in item order', async () => {
    const r = await runMachine(
      h,
      {
        StartAt: 'M',
        States: {
          M: {
            Type: 'Map',
            ItemsPath: '$.items',
            MaxConcurrency: 2,
            ItemSelector: { 'value.$': '$$.Map.Item.Value', 'index.$': '$$.Map.Item.Index', 'k.$': '$.k' },
            ItemProcessor: {
              ProcessorConfig: { Mode: 'INLINE' },
              StartAt: 'Calc',
              States: {
                Calc: {
                  Type: 'Pass',
                  Parameters: { 'sum.$': 'States.MathAdd($.value, $.index)', 'k.$': '$.k' },
                  End: true,
                },
              },
            },
            End: true,
          },
        },
      },
      { items: [10, 20, 30, 40, 50], k: 'K' },
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(parsed(r.output)).toEqual([10, 21, 32, 43, 54].map((sum) => ({ sum, k: 'K' })));
    const started = r.events.filter((e) => e.type === 'MapIterationStarted');
    expect(started.map((e) => e.mapIterationStartedEventDetails?.index)).toEqual([0, 1, 2, 3, 4]);
    expect(r.events.find((e) => e.type === 'MapStateStarted')?.mapStateStartedEventDetails?.length).toBe(5);
  });

  it('Map over an empty array succeeds with []', async () => {
    const r = await runMachine(
      h,
      {
        StartAt: 'M',
        States: {
          M: {
            Type: 'Map',
            Iterator: { StartAt: 'X', States: { X: { Type: 'Pass', End: true } } },
            End: true,
          },
        },
      },
      [],
    );
    expect(parsed(r.output)).toEqual([]);
  });

  it('Task with a bare Lambda function ARN gets the payload back and records LambdaFunction events', async () => {
    const r = await runMachine(h, oneTask({ Resource: h.functions.arnOf('double') }), { n: 4 });
    expect(parsed(r.output)).toEqual({ doubled: 8 });
    expect(r.events.map((e) => e.type)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'LambdaFunctionScheduled',
      'LambdaFunctionStarted',
      'LambdaFunctionSucceeded',
      'TaskStateExited',
      'ExecutionSucceeded',
    ]);
  });

  it('Assign sets variables that later states read as $name, after the assigning state', async () => {
    const r = await runMachine(
      h,
      {
        StartAt: 'A',
        States: {
          A: { Type: 'Pass', Result: { v: 1 }, Assign: { 'x.$': '$.v', y: 'lit' }, Next: 'B' },
          B: {
            Type: 'Pass',
            Parameters: { 'x.$': '$x', 'y.$': '$y', 'ctx.$': '$$.Execution.Name' },
            End: true,
          },
        },
      },
      {},
    );
    const out = parsed(r.output);
    expect(out).toMatchObject({ x: 1, y: 'lit' });
    const exited = r.events.find((e) => e.type === 'PassStateExited');
    expect(exited?.stateExitedEventDetails?.assignedVariables).toEqual({ x: '1', y: '"lit"' });
  });

  it('a path that selects nothing fails the execution with States.Runtime', async () => {
    const r = await runMachine(
      h,
      { StartAt: 'A', States: { A: { Type: 'Pass', InputPath: '$.nope', End: true } } },
      { a: 1 },
    );
    expect(r.status).toBe('FAILED');
    expect(r.error).toBe('States.Runtime');
    expect(r.cause).toContain('$.nope');
  });

  it('exposes the context object: Execution, State, StateMachine and, in a Map ItemSelector, Map.Item', async () => {
    const r = await runMachine(
      h,
      {
        StartAt: 'Ctx',
        States: {
          Ctx: { Type: 'Pass', Parameters: { 'ctx.$': '$$' }, Next: 'M' },
          M: {
            Type: 'Map',
            ItemsPath: '$.ctx.Execution.Input.items',
            ItemSelector: { 'item.$': '$$.Map.Item' },
            ItemProcessor: { StartAt: 'I', States: { I: { Type: 'Pass', End: true } } },
            ResultPath: '$.items',
            End: true,
          },
        },
      },
      { items: ['a'] },
    );
    const out = parsed(r.output) as { ctx: Record<string, Record<string, unknown>>; items: unknown[] };
    expect(out.ctx.Execution).toMatchObject({
      Id: r.executionArn,
      Name: r.name,
      Input: { items: ['a'] },
      RedriveCount: 0,
    });
    expect(String(out.ctx.Execution?.StartTime)).toMatch(/^\d{4}-\d{2}-\d{2}T/);
    expect(out.ctx.State).toMatchObject({ Name: 'Ctx', RetryCount: 0 });
    expect(out.ctx.StateMachine).toMatchObject({ Id: r.stateMachineArn });
    expect(out.items).toEqual([{ item: { Index: 0, Value: 'a' } }]);
  });

  it('nested scopes: a Map iteration inside a Parallel branch reads the outer variables, its own assignments stay inside', async () => {
    const r = await runMachine(
      h,
      {
        StartAt: 'Set',
        States: {
          Set: { Type: 'Pass', Assign: { outer: 'o' }, Next: 'P' },
          P: {
            Type: 'Parallel',
            Branches: [
              {
                StartAt: 'M',
                States: {
                  M: {
                    Type: 'Map',
                    ItemsPath: '$.xs',
                    ItemProcessor: {
                      StartAt: 'In',
                      States: {
                        In: { Type: 'Pass', Assign: { inner: 'i' }, Next: 'Read' },
                        Read: {
                          Type: 'Pass',
                          Parameters: { 'o.$': '$outer', 'i.$': '$inner', 'v.$': '$' },
                          End: true,
                        },
                      },
                    },
                    End: true,
                  },
                },
              },
            ],
            Next: 'After',
          },
          After: { Type: 'Pass', Parameters: { 'o.$': '$outer', 'r.$': '$[0]' }, End: true },
        },
      },
      { xs: [1, 2] },
    );
    expect(r.status).toBe('SUCCEEDED');
    expect(parsed(r.output)).toEqual({
      o: 'o',
      r: [
        { o: 'o', i: 'i', v: 1 },
        { o: 'o', i: 'i', v: 2 },
      ],
    });
  });
});
