import { CreateStateMachineCommand, InvalidDefinition } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, parsed, ROLE, runMachine, startHarness } from './harness.ts';

// Step Functions takes any JSON value as a JSONata state's Output or Arguments and evaluates only
// the {% %} strings in it; the local engine accepts the same definitions and gives the same output.
describe('JSONata Output and Arguments that are plain JSON literals', () => {
  let h: Harness;
  let echo: string;
  beforeAll(async () => {
    h = await startHarness();
    echo = h.functions.register('echo-literal', async (event) => event).arn;
  });
  afterAll(async () => {
    await h.close();
  });

  const passWith = (output: unknown) => ({
    QueryLanguage: 'JSONata',
    StartAt: 'P',
    States: { P: { Type: 'Pass', Output: output, End: true } },
  });

  it.each([
    ['a string', 'high'],
    ['a number', 1],
    ['true', true],
    ['null', null],
    ['an object without expressions', { level: 'high', n: 1 }],
    ['an empty string in an object', { note: '' }],
    ['nested arrays', { grid: [[1, 2], ['a']] }],
    ['an array of literals', [1, 'two', null]],
  ])('Output as %s is accepted and is the output', async (_what, literal) => {
    // Act
    const run = await runMachine(h, passWith(literal), { ignored: true });

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(parsed(run.output)).toEqual(literal);
  });

  it('Arguments as a literal reach the function as they are; Succeed takes a literal Output too', async () => {
    // Act
    const run = await runMachine(h, {
      QueryLanguage: 'JSONata',
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: echo,
          Arguments: 'high',
          Output: '{% $states.result %}',
          Next: 'Done',
        },
        Done: { Type: 'Succeed', Output: { echoed: 'high', literal: true } },
      },
    });
    const callArgs = run.events.find((e) => e.type === 'LambdaFunctionScheduled')
      ?.lambdaFunctionScheduledEventDetails?.input;

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(parsed(callArgs)).toBe('high');
    expect(parsed(run.output)).toEqual({ echoed: 'high', literal: true });
  });

  it('a {% %} string still evaluates, at the top, inside literals, and over several lines', async () => {
    // Act
    const run = await runMachine(
      h,
      {
        QueryLanguage: 'JSONata',
        StartAt: 'Call',
        States: {
          Call: {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            Arguments: { FunctionName: echo, Payload: { rows: [['{% $states.input.x %}', 'as is']] } },
            Output: '{% $states.result.Payload %}',
            Next: 'Shape',
          },
          Shape: {
            Type: 'Pass',
            Assign: { kept: '', doubled: '{% $states.input.rows[0][0] *\n 2 %}' },
            Next: 'Use',
          },
          // Assigned variables take effect after the assigning state.
          Use: {
            Type: 'Pass',
            Output: { level: 'high', value: '{% $doubled %}', kept: '{% $kept %}', empty: '' },
            End: true,
          },
        },
      },
      { x: 21 },
    );

    // Assess
    expect(run.status).toBe('SUCCEEDED');
    expect(parsed(run.output)).toEqual({ level: 'high', value: 42, kept: '', empty: '' });
  });

  it('a malformed expression is still refused at CreateStateMachine', async () => {
    // Act
    const create = h.sfn.send(
      new CreateStateMachineCommand({
        name: 'bad-jsonata-literal',
        roleArn: ROLE,
        definition: JSON.stringify(passWith({ ok: 'high', bad: ['{% $states.input + %}'] })),
      }),
    );

    // Assess
    await expect(create).rejects.toBeInstanceOf(InvalidDefinition);
    await expect(create).rejects.toThrow(/Output\/bad\.0/);
  });
});
