/**
 * Every Task of every state machine in asl/ retries throttling, and every Retry that covers
 * throttling spreads its retries with full jitter, so executions throttled together do not come
 * back together.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { type TaskState, taskStates } from './task-states.ts';

const ASL_DIR = new URL('../../asl/', import.meta.url).pathname;
const files = readdirSync(ASL_DIR)
  .filter((f) => f.endsWith('.asl.json'))
  .sort();

// Settings are placeholders in the templates (`${TransientRetryMaxAttempts}`), so only the shape
// that matters here is checked; the jitter itself must be written out.
const Retrier = z.object({ ErrorEquals: z.array(z.string()), JitterStrategy: z.unknown().optional() });
const Definition = z.object({ States: z.record(z.string(), z.unknown()) });
type Retrier = z.infer<typeof Retrier>;

type RetriedTask = Omit<TaskState, 'retry'> & { readonly retry: readonly Retrier[] };

/** Every Task state, nested ones included, with its Retry rules. */
const tasksOf = (states: Record<string, unknown>): RetriedTask[] =>
  taskStates(states).map((task) => ({ ...task, retry: z.array(Retrier).parse(task.retry) }));

/** Error names a throttled call can surface as in a Retry's ErrorEquals. */
function isThrottlingName(name: string): boolean {
  return (
    name === 'States.ALL' ||
    name === 'States.TaskFailed' ||
    name === 'TransientAwsError' ||
    /Throttl|TooManyRequests|ProvisionedThroughputExceeded|RequestLimitExceeded/.test(name)
  );
}

/** The throttles a task must retry, by what it calls. */
function throttlesFor(resource: string): readonly string[] {
  if (/lambda:invoke|:lambda:|FunctionArn/.test(resource)) {
    // The Lambda service throttling the invoke, and a function's own AWS call throttled past its SDK retries.
    return ['Lambda.TooManyRequestsException', 'TransientAwsError'];
  }
  if (resource.includes(':::dynamodb:')) {
    return ['DynamoDB.ProvisionedThroughputExceededException', 'DynamoDB.ThrottlingException'];
  }
  return [];
}

/** Rules that retry throttling without full jitter, one line each. */
function unjitteredRules(tasks: readonly RetriedTask[]): string[] {
  return tasks.flatMap((task) =>
    task.retry
      .filter((rule) => rule.ErrorEquals.some(isThrottlingName) && rule.JitterStrategy !== 'FULL')
      .map(
        (rule) =>
          `${task.path}: [${rule.ErrorEquals.join(', ')}] JitterStrategy ${String(rule.JitterStrategy)}`,
      ),
  );
}

/** Tasks that leave a throttle of the service they call unretried, one line each. */
function missingThrottleRetries(tasks: readonly RetriedTask[]): string[] {
  return tasks.flatMap((task) => {
    const covered = new Set(task.retry.flatMap((rule) => rule.ErrorEquals));
    const needed = throttlesFor(task.resource);
    const uncovered = covered.has('States.ALL') ? [] : needed.filter((name) => !covered.has(name));
    const unknownService =
      needed.length === 0 && !task.retry.some((r) => r.ErrorEquals.some(isThrottlingName));
    return [
      ...uncovered.map((name) => `${task.path} (${task.resource}) does not retry ${name}`),
      ...(unknownService ? [`${task.path} (${task.resource}) retries no throttling error`] : []),
    ];
  });
}

const tasksByFile = new Map(
  files.map((file) => [
    file,
    tasksOf(Definition.parse(JSON.parse(readFileSync(join(ASL_DIR, file), 'utf8'))).States),
  ]),
);

describe('throttling retries in the state machines', () => {
  it('finds the definitions and their tasks', () => {
    expect(files).toContain('rotate-device.asl.json');
    expect(tasksByFile.get('rotate-device.asl.json')?.length).toBeGreaterThan(0);
  });

  it.each(files)('%s: every Retry that covers throttling uses JitterStrategy FULL', (file) => {
    // Act
    const unjittered = unjitteredRules(tasksByFile.get(file) ?? []);

    // Assess
    expect(unjittered).toEqual([]);
  });

  it.each(files)('%s: every Task retries the throttles of the service it calls', (file) => {
    // Act
    const missing = missingThrottleRetries(tasksByFile.get(file) ?? []);

    // Assess
    expect(missing).toEqual([]);
  });

  it('tells a throttle-covering rule without full jitter from one with it and a task that misses a throttle (the checks can fail)', () => {
    // Prepare
    const states = {
      Good: {
        Type: 'Task',
        Resource: 'arn:aws:states:::lambda:invoke',
        Retry: [
          { ErrorEquals: ['States.Timeout'], JitterStrategy: 'NONE' },
          { ErrorEquals: ['Lambda.TooManyRequestsException', 'TransientAwsError'], JitterStrategy: 'FULL' },
        ],
      },
      Bad: {
        Type: 'Parallel',
        Branches: [
          {
            States: {
              Inner: {
                Type: 'Task',
                Resource: 'arn:aws:states:::dynamodb:putItem',
                Retry: [{ ErrorEquals: ['DynamoDB.ProvisionedThroughputExceededException'] }],
              },
            },
          },
        ],
      },
    };

    // Act
    const tasks = tasksOf(states);

    // Assess
    expect(tasks.map((t) => t.path)).toEqual(['Good', 'Bad[0].Inner']);
    expect(unjitteredRules(tasks)).toEqual([
      'Bad[0].Inner: [DynamoDB.ProvisionedThroughputExceededException] JitterStrategy undefined',
    ]);
    expect(missingThrottleRetries(tasks)).toEqual([
      'Bad[0].Inner (arn:aws:states:::dynamodb:putItem) does not retry DynamoDB.ThrottlingException',
    ]);
  });
});
