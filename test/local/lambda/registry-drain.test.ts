import { describe, expect, it } from 'vitest';
import { FunctionRegistry, LambdaInvocationError } from '../../../local/lambda/registry.ts';

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the local Lambda service stopping', () => {
  it('tells running functions their time is up, waits for them, and takes no new invocation', async () => {
    // Prepare: a function that works in turns until Lambda says its time is nearly up.
    const registry = new FunctionRegistry('eu-west-1', '123456789012');
    let turns = 0;
    registry.register(
      'pacer',
      async (_event, context) => {
        while (context.getRemainingTimeInMillis() > 20_000) {
          turns++;
          await sleep(10);
        }
        return { turns };
      },
      120,
    );
    const running = registry.invoke('pacer', {});
    await sleep(50);

    // Act
    const began = Date.now();
    await registry.drain(5_000);

    // Assess
    expect(Date.now() - began).toBeLessThan(1_000);
    expect(await running).toEqual({ turns: expect.any(Number) });
    const late = await registry.invoke('pacer', {}).catch((error: unknown) => error);
    expect(late).toBeInstanceOf(LambdaInvocationError);
    expect(late).toMatchObject({ errorType: 'Lambda.ServiceException' });
  });

  it('stops waiting after its timeout for a function that does not look at its remaining time', async () => {
    // Prepare
    const registry = new FunctionRegistry('eu-west-1', '123456789012');
    registry.register('stuck', () => new Promise(() => undefined));
    void registry.invoke('stuck', {});

    // Act
    const began = Date.now();
    await registry.drain(200);

    // Assess
    expect(Date.now() - began).toBeGreaterThanOrEqual(190);
    expect(Date.now() - began).toBeLessThan(2_000);
  });
});
