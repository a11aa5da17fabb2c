import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../../local/config.ts';
import { AsyncLambdaInvoker } from '../../../local/events/async-invoke.ts';
import { FunctionRegistry } from '../../../local/lambda/registry.ts';

let stateDir: string;
beforeEach(async () => {
  stateDir = await mkdtemp(join(tmpdir(), 'recert-async-queue-'));
});
afterEach(async () => {
  await rm(stateDir, { recursive: true, force: true });
});

/** One start of the local Lambda service with its asynchronous queue on `stateDir`. */
function start(handler: (event: unknown) => Promise<unknown>) {
  const clock = new ManualClock();
  const functions = new FunctionRegistry(LOCAL_REGION, LOCAL_ACCOUNT_ID);
  const fn = functions.register('device-reply', handler);
  const invoker = new AsyncLambdaInvoker(functions, clock, { stateDir, closeWaitMs: 50 });
  return { clock, functions, fn, invoker };
}

const settle = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

/** Accepts `event` on a started service and stops it; the outcome settles as the stop leaves it. */
async function invokeThenStop(service: ReturnType<typeof start>, event: unknown) {
  const outcome = service.invoker.invoke(service.fn.arn, event);
  await settle();
  await service.invoker.close();
  return { outcome };
}

/** The next start, its function keeping every event it receives before answering as `answer` does. */
function restartReceiving(answer: (received: readonly unknown[]) => Promise<unknown>) {
  const received: unknown[] = [];
  const service = start(async (event) => {
    received.push(event);
    return answer(received);
  });
  return { ...service, received };
}

describe('the asynchronous queue across a stop of the local AWS', () => {
  it('delivers at the next start an event whose retry was still waiting, with the retries it had left', async () => {
    // Prepare: the first attempt fails, and the stop comes while the one-minute retry waits.
    const first = start(async () => {
      throw new Error('throttled downstream');
    });
    const { outcome } = await invokeThenStop(first, { thing: 'dev-1' });
    // Act: the next start resumes the queue.
    const second = restartReceiving(async () => {
      throw new Error('still failing');
    });
    const { received } = second;
    const resumed = await second.invoker.resume();
    await settle();
    // Assess: the event arrives again at once; one retry (two minutes later) is all it has left.
    expect(await outcome).toMatchObject({ ok: false, carried: true });
    expect(resumed).toBe(1);
    expect(received).toEqual([{ thing: 'dev-1' }]);
    await second.clock.advance(120_000);
    await second.invoker.idle();
    expect(received).toHaveLength(2);
    expect(second.clock.pendingTimers()).toBe(0);
  });

  it('keeps, without costing a retry, an invocation the stopping service refused', async () => {
    // Prepare: the service is draining when the event is accepted.
    const first = start(async () => 'never runs');
    await first.functions.drain(0);
    const { outcome } = await invokeThenStop(first, { thing: 'dev-2' });
    // Act
    const second = restartReceiving(async (received) => {
      if (received.length < 3) throw new Error('not yet');
      return 'ok';
    });
    const { received } = second;
    await second.invoker.resume();
    await settle();
    await second.clock.advance(60_000);
    await settle();
    await second.clock.advance(120_000);
    await second.invoker.idle();
    // Assess: all three of Lambda's attempts were still there after the restart.
    expect(await outcome).toMatchObject({ ok: false, carried: true });
    expect(received).toEqual([{ thing: 'dev-2' }, { thing: 'dev-2' }, { thing: 'dev-2' }]);
  });

  it('delivers each kept event once, and leaves nothing behind after a clean stop', async () => {
    // Prepare
    const first = start(async () => {
      throw new Error('down');
    });
    void first.invoker.invoke(first.fn.arn, { n: 1 });
    void first.invoker.invoke(first.fn.arn, { n: 2 });
    await settle();
    await first.invoker.close();
    const received: unknown[] = [];
    const second = start(async (event) => {
      received.push(event);
      return 'ok';
    });
    // Act: resume, finish, stop, and start once more.
    await second.invoker.resume();
    await second.invoker.idle();
    await second.invoker.close();
    const third = start(async (event) => {
      received.push(event);
      return 'ok';
    });
    const resumedAgain = await third.invoker.resume();
    // Assess
    expect(received).toEqual([{ n: 1 }, { n: 2 }]);
    expect(resumedAgain).toBe(0);
    expect(await readdir(join(stateDir, 'events')).catch(() => [])).toEqual([]);
  });

  it('names the file when the kept queue is not valid', async () => {
    // Prepare
    const { writeFile, mkdir } = await import('node:fs/promises');
    await mkdir(join(stateDir, 'events'), { recursive: true });
    await writeFile(join(stateDir, 'events', 'lambda-async-queue.json'), '{"invocations": [{"event": 1}]}');
    const { invoker } = start(async () => 'ok');
    // Act / Assess
    await expect(invoker.resume()).rejects.toThrow(
      /lambda-async-queue\.json is not a valid Lambda asynchronous queue/,
    );
  });
});
