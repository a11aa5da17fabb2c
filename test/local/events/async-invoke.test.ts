import { describe, expect, it } from 'vitest';
import { ManualClock } from '../../../lib/clock.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../../local/config.ts';
import { AsyncLambdaInvoker } from '../../../local/events/async-invoke.ts';
import { FunctionRegistry } from '../../../local/lambda/registry.ts';

function setup() {
  const clock = new ManualClock();
  const functions = new FunctionRegistry(LOCAL_REGION, LOCAL_ACCOUNT_ID);
  return { clock, functions, invoker: new AsyncLambdaInvoker(functions, clock) };
}

describe('asynchronous Lambda invocation', () => {
  it('retries twice, one and then two minutes apart, and reports the last error', async () => {
    // Prepare
    const { clock, functions, invoker } = setup();
    const at: number[] = [];
    const fn = functions.register('f', async () => {
      at.push(clock.now());
      throw new TypeError(`attempt ${at.length}`);
    });
    const start = clock.now();
    // Act
    const outcome = invoker.invoke(fn.arn, {});
    // The first attempt runs right away; its failure arms the retry timer.
    await new Promise((resolve) => setImmediate(resolve));
    await clock.advance(59_999);
    const beforeFirstRetry = at.length;
    await clock.advance(1 + 120_000);
    const result = await outcome;
    // Assess
    expect(beforeFirstRetry).toBe(1);
    expect(at).toEqual([start, start + 60_000, start + 180_000]);
    expect(result).toMatchObject({
      ok: false,
      attempts: 3,
      error: { name: 'TypeError', errorMessage: 'attempt 3' },
    });
    expect(invoker.pending()).toBe(0);
  });

  it('stops retrying once the function succeeds', async () => {
    const { clock, functions, invoker } = setup();
    let calls = 0;
    const fn = functions.register('f', async () => {
      calls++;
      if (calls === 1) throw new Error('first');
      return 'done';
    });
    const outcome = invoker.invoke(fn.arn, {});
    await new Promise((resolve) => setImmediate(resolve));
    await clock.advance(600_000);
    expect(await outcome).toEqual({ ok: true, attempts: 2, result: 'done' });
    expect(calls).toBe(2);
  });

  it('fails at once, without retries, for a function that does not exist', async () => {
    const { clock, invoker } = setup();
    const outcome = await invoker.invoke('arn:aws:lambda:us-east-1:000000000000:function:missing', {});
    expect(outcome).toMatchObject({ ok: false, attempts: 0, error: { name: 'ResourceNotFoundException' } });
    expect(clock.pendingTimers()).toBe(0);
  });

  it('cancels waiting retries on close', async () => {
    const { clock, functions, invoker } = setup();
    const fn = functions.register('f', async () => {
      throw new Error('down');
    });
    const outcome = invoker.invoke(fn.arn, {});
    await new Promise((resolve) => setImmediate(resolve));
    await invoker.close();
    expect(await outcome).toMatchObject({ ok: false, attempts: 1, carried: true });
    expect(clock.pendingTimers()).toBe(0);
  });
});
