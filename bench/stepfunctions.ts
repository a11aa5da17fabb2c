/**
 * Benchmark of the local Step Functions engine: durable transitions per second and memory per waiting
 * execution (bench/README.md, Micro-benchmarks). Run alone with `npx tsx bench/stepfunctions.ts`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { ScaledClock } from '../lib/clock.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../local/config.ts';
import { FunctionRegistry } from '../local/lambda/registry.ts';
import { StepFunctionsEngine } from '../local/stepfunctions/engine.ts';

export interface StepFunctionsBenchResult {
  readonly runs: number;
  readonly chain: { readonly transitions: number; readonly transitionsPerSecond: number };
  readonly waiting: {
    readonly executions: number;
    readonly transitions: number;
    readonly transitionsPerSecond: number;
    readonly bytesPerWaitingExecution: number;
  };
  /** Group commits (one write and one fdatasync each) per second during the chain run. */
  readonly commitsPerSecond: number;
}

const ROLE = `arn:aws:iam::${LOCAL_ACCOUNT_ID}:role/recert-bench`;

const gc = (): void => {
  setFlagsFromString('--expose_gc');
  const fn: unknown = runInNewContext('gc');
  if (typeof fn === 'function') fn();
};

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

const withEngine = async <T>(
  fn: (engine: StepFunctionsEngine, functions: FunctionRegistry) => Promise<T>,
): Promise<T> => {
  const stateDir = mkdtempSync(join(tmpdir(), 'recert-bench-sfn-'));
  const functions = new FunctionRegistry(LOCAL_REGION, LOCAL_ACCOUNT_ID);
  const engine = new StepFunctionsEngine({
    stateDir,
    clock: new ScaledClock(1),
    region: LOCAL_REGION,
    accountId: LOCAL_ACCOUNT_ID,
    functions,
  });
  await engine.open();
  try {
    return await fn(engine, functions);
  } finally {
    await engine.close();
    rmSync(stateDir, { recursive: true, force: true });
  }
};

const arnOf = (out: Record<string, unknown>, key: string): string => {
  const v = out[key];
  if (typeof v !== 'string') throw new Error(`no ${key} in the answer`);
  return v;
};

const waitUntil = async (check: () => boolean, what: string, timeoutMs = 120_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`benchmark: timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 1));
  }
};

/** A loop of a Pass and a Choice state: two durable transitions per turn, `turns` turns. */
const chainRun = (turns: number) =>
  withEngine(async (engine) => {
    const machine = arnOf(
      engine.createStateMachine({
        name: 'chain',
        roleArn: ROLE,
        definition: JSON.stringify({
          StartAt: 'Step',
          States: {
            Step: {
              Type: 'Pass',
              Parameters: { 'i.$': 'States.MathAdd($.i, 1)', 'n.$': '$.n' },
              Next: 'More',
            },
            More: {
              Type: 'Choice',
              Choices: [{ Variable: '$.i', NumericLessThanPath: '$.n', Next: 'Step' }],
              Default: 'Done',
            },
            Done: { Type: 'Succeed' },
          },
        }),
      }),
      'stateMachineArn',
    );
    const commitsBefore = engine.storeStats().commits;
    const started = performance.now();
    const exec = arnOf(
      await engine.startExecution({ stateMachineArn: machine, input: JSON.stringify({ i: 0, n: turns }) }),
      'executionArn',
    );
    await waitUntil(() => engine.describeExecution({ executionArn: exec }).status !== 'RUNNING', 'the chain');
    await engine.flush();
    const seconds = (performance.now() - started) / 1000;
    const transitions = engine.billedTransitions(exec) ?? 0;
    return {
      transitions,
      perSecond: transitions / seconds,
      commitsPerSecond: (engine.storeStats().commits - commitsBefore) / seconds,
    };
  });

/** `count` executions each enter a Pass, then wait on a token; all are answered, then a final Pass. */
const waitingRun = (count: number) =>
  withEngine(async (engine, functions) => {
    const tokens: string[] = [];
    let ended = 0;
    engine.onStatusChange((e) => {
      if (e.detail.status !== 'RUNNING') ended++;
    });
    functions.register('deliver', async (event) => {
      if (typeof event === 'object' && event !== null && 'token' in event && typeof event.token === 'string')
        tokens.push(event.token);
      return {};
    });
    const machine = arnOf(
      engine.createStateMachine({
        name: 'waiting',
        roleArn: ROLE,
        definition: JSON.stringify({
          StartAt: 'Claim',
          States: {
            Claim: { Type: 'Pass', Result: { claimed: true }, ResultPath: '$.claim', Next: 'Ask' },
            Ask: {
              Type: 'Task',
              Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
              Parameters: {
                FunctionName: 'deliver',
                Payload: { 'token.$': '$$.Task.Token', 'thing.$': '$.thing' },
              },
              HeartbeatSeconds: 3600,
              TimeoutSeconds: 86_400,
              ResultPath: '$.reply',
              Next: 'Record',
            },
            Record: { Type: 'Pass', End: true },
          },
        }),
      }),
      'stateMachineArn',
    );
    const launch = (from: number, n: number): Promise<string[]> =>
      Promise.all(
        Array.from({ length: n }, async (_, k) =>
          arnOf(
            await engine.startExecution({
              stateMachineArn: machine,
              name: `thing-${from + k}`,
              input: JSON.stringify({ thing: `thing-${from + k}` }),
            }),
            'executionArn',
          ),
        ),
      );
    // A warm-up batch first, so caches and compiled code are not counted as per-execution memory.
    const warmup = Math.max(1, Math.floor(count / 10));
    await launch(count, warmup);
    await waitUntil(() => tokens.length === warmup, 'the warm-up executions to wait');
    await engine.flush();
    gc();
    const heapBefore = process.memoryUsage().heapUsed;
    const started = performance.now();
    const arns = await launch(0, count);
    await waitUntil(() => tokens.length === count + warmup, 'every execution to wait on its token');
    await engine.flush();
    gc();
    const bytesPerWaiting = (process.memoryUsage().heapUsed - heapBefore) / count;
    await Promise.all(
      tokens.map((taskToken) => engine.sendTaskSuccess({ taskToken, output: '{"ok":true}' })),
    );
    await waitUntil(() => ended === count + warmup, 'every execution to end');
    await engine.flush();
    const seconds = (performance.now() - started) / 1000;
    const transitions = arns.reduce((n, a) => n + (engine.billedTransitions(a) ?? 0), 0);
    return { transitions, perSecond: transitions / seconds, bytesPerWaiting };
  });

export const benchStepFunctions = async (
  options: { runs?: number; chainTurns?: number; waitingExecutions?: number } = {},
): Promise<StepFunctionsBenchResult> => {
  const runs = options.runs ?? 3;
  const turns = options.chainTurns ?? 5000;
  const count = options.waitingExecutions ?? 1000;
  const chains = [];
  const waits = [];
  for (let i = 0; i < runs; i++) {
    chains.push(await chainRun(turns));
    waits.push(await waitingRun(count));
  }
  return {
    runs,
    chain: {
      transitions: chains[0]?.transitions ?? 0,
      transitionsPerSecond: Math.round(median(chains.map((c) => c.perSecond))),
    },
    waiting: {
      executions: count,
      transitions: waits[0]?.transitions ?? 0,
      transitionsPerSecond: Math.round(median(waits.map((w) => w.perSecond))),
      bytesPerWaitingExecution: Math.round(median(waits.map((w) => w.bytesPerWaiting))),
    },
    commitsPerSecond: Math.round(median(chains.map((c) => c.commitsPerSecond))),
  };
};

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const result = await benchStepFunctions();
  console.log(`local Step Functions (median of ${result.runs} runs, fresh state directory each)`);
  console.log(
    `  long chain:        ${result.chain.transitionsPerSecond} durable transitions/s (${result.chain.transitions} transitions, ${result.commitsPerSecond} group commits/s)`,
  );
  console.log(
    `  ${result.waiting.executions} waiting on tokens: ${result.waiting.transitionsPerSecond} durable transitions/s (${result.waiting.transitions} transitions)`,
  );
  console.log(
    `  memory per waiting execution: ${(result.waiting.bytesPerWaitingExecution / 1024).toFixed(1)} KiB`,
  );
}
