/**
 * Every Task that invokes Lambda, in every state machine in asl/, retries the transient Lambda
 * service exceptions AWS's guidance names ("Handle transient Lambda service exceptions") and CDK's
 * LambdaInvoke retries by default (`retryOnServiceExceptions`): without them one Lambda 500 fails
 * the execution.
 */
import { App, Stack } from 'aws-cdk-lib';
import { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { LambdaInvoke } from 'aws-cdk-lib/aws-stepfunctions-tasks';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { errorMatches } from '../../local/stepfunctions/retry.ts';
import { CAMPAIGN_FUNCTION_IDS, renderCampaignDefinition } from '../../workflows/campaign/contract.ts';
import { FUNCTION_IDS, renderDefinition } from '../../workflows/rotate-device/contract.ts';
import { taskStates } from './task-states.ts';

/** From https://docs.aws.amazon.com/step-functions/latest/dg/bp-lambda-serviceexception.html */
const LAMBDA_SERVICE_EXCEPTIONS = [
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
] as const;

const arn = (id: string): string => `arn:aws:lambda:us-east-1:000000000000:function:recert-${id}`;
const rendered: Record<string, unknown> = {
  'rotate-device.asl.json': JSON.parse(
    renderDefinition({
      functionArns: Object.fromEntries(FUNCTION_IDS.map((id) => [id, arn(id)])),
      tableName: 'recert-rotations',
    }),
  ),
  'campaign.asl.json': JSON.parse(
    renderCampaignDefinition(Object.fromEntries(CAMPAIGN_FUNCTION_IDS.map((id) => [id, arn(id)]))),
  ),
};

const Retrier = z.looseObject({ ErrorEquals: z.array(z.string()), MaxAttempts: z.number().optional() });
type Retrier = z.infer<typeof Retrier>;

interface LambdaTask {
  readonly path: string;
  readonly retry: readonly Retrier[];
}

const invokesLambda = (resource: string): boolean =>
  /^arn:aws[a-z-]*:states:::lambda:invoke/.test(resource) || /^arn:aws[a-z-]*:lambda:/.test(resource);

/** Every Task state invoking Lambda, nested ones included. */
function lambdaTasks(states: Record<string, unknown>): LambdaTask[] {
  return taskStates(states)
    .filter((task) => invokesLambda(task.resource))
    .map((task) => ({ path: task.path, retry: z.array(Retrier).parse(task.retry) }));
}

/** The errors a task does not retry: the first retrier matching an error decides, as in the engine. */
function unretried(task: LambdaTask, errors: readonly string[]): string[] {
  return errors.filter((error) => {
    const first = task.retry.find((r) => errorMatches(r.ErrorEquals, error));
    return first === undefined || (first.MaxAttempts ?? 3) < 1;
  });
}

/** The error names of the retrier CDK's LambdaInvoke adds by default (`retryOnServiceExceptions`). */
function cdkDefaultRetryErrors(): string[] {
  const stack = new Stack(new App(), 'RetryProbe');
  const fn = LambdaFunction.fromFunctionArn(stack, 'Fn', arn('probe'));
  const state = new LambdaInvoke(stack, 'Invoke', { lambdaFunction: fn }).toStateJson();
  const retry = z.object({ Retry: z.array(Retrier) }).parse(state).Retry;
  return retry.flatMap((r) => r.ErrorEquals);
}

describe('Lambda service exceptions in the state machines', () => {
  it("AWS's list is the one CDK's LambdaInvoke retries by default", () => {
    expect([...cdkDefaultRetryErrors()].sort()).toEqual([...LAMBDA_SERVICE_EXCEPTIONS].sort());
  });

  it.each(Object.keys(rendered))('%s: every Task invoking Lambda retries all of them', (file) => {
    // Prepare
    const tasks = lambdaTasks(
      z.object({ States: z.record(z.string(), z.unknown()) }).parse(rendered[file]).States,
    );

    // Act
    const missing = tasks.flatMap((task) =>
      unretried(task, LAMBDA_SERVICE_EXCEPTIONS).map((error) => `${task.path} does not retry ${error}`),
    );

    // Assess
    expect(tasks.length).toBeGreaterThan(0);
    expect(missing).toEqual([]);
  });

  it('tells a task that misses one from one that covers all (the check can fail)', () => {
    // Prepare
    const tasks = lambdaTasks({
      Old: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
        Retry: [
          { ErrorEquals: ['States.Timeout'] },
          {
            ErrorEquals: [
              'Lambda.ServiceException',
              'Lambda.AWSLambdaException',
              'Lambda.SdkClientException',
            ],
          },
        ],
      },
      Spent: {
        Type: 'Task',
        Resource: arn('f'),
        Retry: [{ ErrorEquals: [...LAMBDA_SERVICE_EXCEPTIONS], MaxAttempts: 0 }],
      },
      All: { Type: 'Task', Resource: arn('f'), Retry: [{ ErrorEquals: ['States.ALL'] }] },
      NotLambda: { Type: 'Task', Resource: 'arn:aws:states:::dynamodb:putItem' },
    });

    // Act
    const verdicts = tasks.map((t) => [t.path, unretried(t, LAMBDA_SERVICE_EXCEPTIONS)]);

    // Assess
    expect(verdicts).toEqual([
      ['Old', ['Lambda.ClientExecutionTimeoutException']],
      ['Spent', [...LAMBDA_SERVICE_EXCEPTIONS]],
      ['All', []],
    ]);
  });
});
