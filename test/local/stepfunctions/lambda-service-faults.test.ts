import { type HistoryEvent, SendTaskSuccessCommand } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ScaledClock } from '../../../lib/clock.ts';
import { LambdaServiceError } from '../../../local/lambda/registry.ts';
import { renderDefinition, TASK_FUNCTION_IDS } from '../../../workflows/rotate-device/render.ts';
import {
  createMachine,
  type Harness,
  history,
  parsed,
  runMachine,
  start,
  startHarnessWithRotations,
  waitForEnd,
  waitForEvent,
} from './harness.ts';

// A transient Lambda 500 (the Lambda service failing the invoke; the function never runs) is
// retried by the state machine, as AWS's guidance and CDK's default retrier have it.
describe('Lambda service exceptions on the local engine', () => {
  let h: Harness;
  const tokens = new Map<string, string>();
  const calls: string[] = [];

  beforeAll(async () => {
    // Retry waits (at most 2 s with the default settings) pass 20 times faster; the callback
    // timeouts (15 min and more) stay far out of reach.
    h = await startHarnessWithRotations({ clock: new ScaledClock(20) });
    for (const id of TASK_FUNCTION_IDS) {
      h.functions.register(id, async (event: unknown) => {
        calls.push(id);
        if (typeof event === 'object' && event !== null && 'taskToken' in event) {
          tokens.set(id, String(event.taskToken));
        }
        return {};
      });
    }
  });
  afterAll(async () => {
    await h.close();
  });

  it('the fault hook fails an invocation in the service, before the function runs', async () => {
    // Prepare
    const fn = h.functions.register('probe', async () => 'ran');
    h.functions.failNextInvocations('probe', 'ClientExecutionTimeoutException');

    // Act
    const failed = await h.functions.invoke(fn.arn, {}).catch((e: unknown) => e);
    const next = await h.functions.invoke(fn.arn, {});

    // Assess
    expect(failed).toBeInstanceOf(LambdaServiceError);
    expect(failed).toMatchObject({ errorType: 'Lambda.ClientExecutionTimeoutException', statusCode: 500 });
    expect(next).toBe('ran');
    expect(h.functions.invocations().get('probe')).toBe(1);
  });

  it('the engine names the failure Lambda.<exception>, and without a retrier it fails the execution', async () => {
    // Prepare
    const fn = h.functions.register('unretried', async () => ({}));
    h.functions.failNextInvocations(fn.name, 'ClientExecutionTimeoutException');

    // Act
    const run = await runMachine(h, {
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:states:::lambda:invoke',
          Parameters: { FunctionName: fn.arn, Payload: {} },
          End: true,
        },
      },
    });

    // Assess
    expect(run.status).toBe('FAILED');
    expect(run.error).toBe('Lambda.ClientExecutionTimeoutException');
    expect(run.cause).toMatch(
      /Service: AWSLambda; Status Code: 500; Error Code: ClientExecutionTimeoutException/,
    );
  });

  it('a rotation whose every Lambda step first meets Lambda.ClientExecutionTimeoutException retries and completes', async () => {
    // Prepare: the rendered asl/rotate-device.asl.json; each function of the happy path fails once.
    const machine = await createMachine(
      h,
      JSON.parse(
        renderDefinition({
          functionArns: Object.fromEntries(TASK_FUNCTION_IDS.map((id) => [id, h.functions.arnOf(id)])),
          tableName: 'rotations',
        }),
      ),
    );
    for (const id of ['request-csr', 'issue-certificate', 'retire-certificate']) {
      h.functions.failNextInvocations(id, 'ClientExecutionTimeoutException');
    }
    const submitted = (n: number) => (events: readonly HistoryEvent[]) =>
      events.filter((e) => e.type === 'TaskSubmitted').length >= n;

    // Act
    const exec = await start(h, machine, { thingName: 'dev-1', oldCertificateId: 'old-1' });
    await waitForEvent(h, exec, submitted(1), 30_000);
    await h.sfn.send(
      new SendTaskSuccessCommand({ taskToken: tokens.get('request-csr'), output: '{"csr":"PEM"}' }),
    );
    await waitForEvent(h, exec, submitted(2), 30_000);
    await h.sfn.send(
      new SendTaskSuccessCommand({
        taskToken: tokens.get('issue-certificate'),
        output: '{"rotationId":"r-1","certificateId":"new-1","provenAt":"2026-06-01T12:00:00.000Z"}',
      }),
    );
    const done = await waitForEnd(h, exec, 30_000);

    // Assess
    expect(done.status).toBe('SUCCEEDED');
    expect(parsed(done.output)).toMatchObject({ thingName: 'dev-1', newCertificateId: 'new-1' });
    const failures = (await history(h, exec))
      .filter((e) => e.type === 'TaskFailed')
      .map((e) => e.taskFailedEventDetails?.error);
    expect(failures).toEqual(Array(3).fill('Lambda.ClientExecutionTimeoutException'));
    // The faults came before the functions: each ran once.
    expect(calls).toEqual(['request-csr', 'issue-certificate', 'retire-certificate']);
  });
});
