import { type ChildProcess, fork } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CreateStateMachineCommand,
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, describe, expect, it } from 'vitest';
import { LOCAL_CREDENTIALS, LOCAL_REGION } from '../../../local/config.ts';
import { callbackTask, history, oneTask, ROLE } from './harness.ts';

// kill -9 the engine's process mid-execution, start it again on the same state directory: every
// execution goes on, with its token, and its timers fire at their original due time.
const FIXTURE = join(import.meta.dirname, 'fixtures', 'engine-process.ts');
const SPEED = 4;
// Under load a restart can take seconds: a timer due before the restart fires on it, not later.
const SLACK_S = SPEED * 1.5;
const clockNow = (): number => anchorClock + (Date.now() - anchorReal) * SPEED;
const anchorClock = Date.UTC(2026, 5, 1);
const anchorReal = Date.now();

const launch = (stateDir: string): Promise<{ child: ChildProcess; sfn: SFNClient }> =>
  new Promise((resolve, reject) => {
    const child = fork(FIXTURE, [stateDir, String(SPEED), String(anchorClock), String(anchorReal)], {
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => {
      stderr += d.toString();
    });
    child.once('exit', (code) => reject(new Error(`engine process exited (${code}): ${stderr}`)));
    child.once('message', (m: unknown) => {
      if (typeof m === 'object' && m !== null && 'endpoint' in m && typeof m.endpoint === 'string') {
        resolve({
          child,
          sfn: new SFNClient({
            endpoint: m.endpoint,
            region: LOCAL_REGION,
            credentials: LOCAL_CREDENTIALS,
            maxAttempts: 1,
          }),
        });
      }
    });
  });

const kill9 = (child: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGKILL');
  });

const events = async (sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> =>
  (await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }))).events ?? [];

const until = async <T>(what: string, fn: () => Promise<T | undefined>, timeoutMs = 20_000): Promise<T> => {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await fn();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
};

const tokenOf = (history: HistoryEvent[]): string | undefined => {
  const scheduled = history.filter((e) => e.type === 'TaskScheduled').at(-1);
  const params: unknown = JSON.parse(scheduled?.taskScheduledEventDetails?.parameters ?? '{}');
  if (typeof params === 'object' && params !== null && 'Payload' in params) {
    const p = params.Payload;
    if (typeof p === 'object' && p !== null && 'token' in p && typeof p.token === 'string') return p.token;
  }
  return undefined;
};

describe('durability across kill -9', () => {
  const stateDir = mkdtempSync(join(tmpdir(), 'recert-sfn-kill-'));
  let current: ChildProcess | undefined;
  afterAll(async () => {
    if (current && current.exitCode === null) await kill9(current);
    rmSync(stateDir, { recursive: true, force: true });
  });

  it('resumes a token wait, a retry backoff, a pending heartbeat timeout and a long chain after SIGKILL', async () => {
    // Prepare: three executions, each parked on something durable.
    const first = await launch(stateDir);
    current = first.child;
    const create = async (name: string, definition: object): Promise<string> =>
      (
        await first.sfn.send(
          new CreateStateMachineCommand({ name, definition: JSON.stringify(definition), roleArn: ROLE }),
        )
      ).stateMachineArn ?? '';
    const callback = (extra: object) => oneTask({ ...callbackTask('deliver'), ...extra });
    const tokenMachine = await create('token', callback({ TimeoutSeconds: 86_400 }));
    const heartbeatMachine = await create('heartbeat', callback({ HeartbeatSeconds: 48 }));
    const retryMachine = await create('retry', {
      StartAt: 'Call',
      States: {
        Call: {
          Type: 'Task',
          Resource: 'arn:aws:lambda:us-east-1:000000000000:function:down',
          Retry: [{ ErrorEquals: ['Down'], IntervalSeconds: 40, MaxAttempts: 1 }],
          Catch: [{ ErrorEquals: ['Down'], Next: 'GaveUp' }],
          End: true,
        },
        GaveUp: { Type: 'Pass', Result: 'gave up', End: true },
      },
    });
    const startOne = async (arn: string) =>
      (await first.sfn.send(new StartExecutionCommand({ stateMachineArn: arn, input: '{}' }))).executionArn ??
      '';
    const tokenExec = await startOne(tokenMachine);
    const heartbeatExec = await startOne(heartbeatMachine);
    const retryExec = await startOne(retryMachine);
    const token = await until('the token', async () => {
      const h = await events(first.sfn, tokenExec);
      return h.some((e) => e.type === 'TaskSubmitted') ? tokenOf(h) : undefined;
    });
    const heartbeatScheduled = await until('the heartbeat task', async () => {
      const h = await events(first.sfn, heartbeatExec);
      return h.find((e) => e.type === 'TaskSubmitted')
        ? h.find((e) => e.type === 'TaskScheduled')
        : undefined;
    });
    const firstFailure = await until('the first failure', async () =>
      (await events(first.sfn, retryExec)).find((e) => e.type === 'LambdaFunctionFailed'),
    );

    // A long chain, killed mid-way: every acknowledged transition is on disk, the rest is redone.
    const chainMachine = await create('chain', {
      StartAt: 'Step',
      States: {
        Step: { Type: 'Pass', Parameters: { 'i.$': 'States.MathAdd($.i, 1)', 'n.$': '$.n' }, Next: 'More' },
        More: {
          Type: 'Choice',
          Choices: [{ Variable: '$.i', NumericLessThanPath: '$.n', Next: 'Step' }],
          Default: 'Done',
        },
        Done: { Type: 'Succeed' },
      },
    });
    const chainExec =
      (
        await first.sfn.send(
          new StartExecutionCommand({ stateMachineArn: chainMachine, input: '{"i":0,"n":3000}' }),
        )
      ).executionArn ?? '';
    await until('the chain to be under way', async () =>
      (await events(first.sfn, chainExec)).length > 20 ? true : undefined,
    );
    const beforeKill = await first.sfn.send(new DescribeExecutionCommand({ executionArn: chainExec }));
    expect(beforeKill.status, 'the chain is killed mid-way').toBe('RUNNING');

    // Act: SIGKILL, then a new process on the same state directory.
    await kill9(first.child);
    first.sfn.destroy();
    const second = await launch(stateDir);
    const readyAt = clockNow();
    current = second.child;
    // Never before the original due time; at it if the engine was up by then, else as soon as it was.
    const expectFiredOnTime = (firedAt: number, dueAt: number): void => {
      expect(firedAt).toBeGreaterThanOrEqual(dueAt);
      expect(firedAt).toBeLessThan(Math.max(dueAt, readyAt) + SLACK_S * 1000);
    };

    // Assess: the token still works.
    await second.sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{"csr":"ok"}' }));
    const tokenDone = await until('the token execution', async () => {
      const d = await second.sfn.send(new DescribeExecutionCommand({ executionArn: tokenExec }));
      return d.status === 'RUNNING' ? undefined : d;
    });
    expect([tokenDone.status, tokenDone.output]).toEqual(['SUCCEEDED', '{"csr":"ok"}']);

    // The retry ran at its original due time (40 clock seconds after the failure), then was caught.
    const retryHistory = await until('the retry', async () => {
      const h = await events(second.sfn, retryExec);
      return h.some((e) => e.type === 'ExecutionSucceeded') ? h : undefined;
    });
    const retried = retryHistory.filter((e) => e.type === 'LambdaFunctionScheduled')[1];
    expectFiredOnTime(retried?.timestamp?.getTime() ?? 0, (firstFailure.timestamp?.getTime() ?? 0) + 40_000);

    // The heartbeat timeout fired 48 clock seconds after the task started, as it would have without the crash.
    const heartbeatHistory = await until('the heartbeat timeout', async () => {
      const h = await events(second.sfn, heartbeatExec);
      return h.some((e) => e.type === 'ExecutionFailed') ? h : undefined;
    });
    const timedOut = heartbeatHistory.find((e) => e.type === 'TaskTimedOut');
    expect(timedOut?.taskTimedOutEventDetails?.error).toBe('States.HeartbeatTimeout');
    expectFiredOnTime(
      timedOut?.timestamp?.getTime() ?? 0,
      (heartbeatScheduled.timestamp?.getTime() ?? 0) + 48_000,
    );

    // The chain finished with the right count and a gapless history.
    const chainDone = await until('the chain', async () => {
      const d = await second.sfn.send(new DescribeExecutionCommand({ executionArn: chainExec }));
      return d.status === 'RUNNING' ? undefined : d;
    });
    expect([chainDone.status, JSON.parse(chainDone.output ?? '{}')]).toEqual([
      'SUCCEEDED',
      { i: 3000, n: 3000 },
    ]);
    const all = await history(second, chainExec);
    expect(all.every((e, i) => e.id === i + 1)).toBe(true);
    expect(all.filter((e) => e.type === 'PassStateEntered')).toHaveLength(3000);
    second.sfn.destroy();
  });
});
