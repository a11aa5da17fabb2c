import { describe, expect, it } from 'vitest';
import { FunctionRegistry, LambdaInvocationError } from '../../../local/lambda/registry.ts';

describe('the in-process Lambda service', () => {
  it('resolves a function by name, ARN and qualified ARN, and counts its invocations', async () => {
    // Prepare
    const registry = new FunctionRegistry('us-east-1', '000000000000');
    const fn = registry.register('echo', async (event) => event);
    // Act
    const results = [
      await registry.invoke('echo', { n: 1 }),
      await registry.invoke(fn.arn, { n: 2 }),
      await registry.invoke(`${fn.arn}:$LATEST`, { n: 3 }),
    ];
    // Assess
    expect(results).toEqual([{ n: 1 }, { n: 2 }, { n: 3 }]);
    expect(registry.invocations().get('echo')).toBe(3);
  });

  it("reports a thrown error with the error's name as its type, as the Node.js runtime does", async () => {
    // Prepare
    class CsrSignatureInvalid extends Error {
      override readonly name = 'CsrSignatureInvalid';
    }
    const registry = new FunctionRegistry('us-east-1', '000000000000');
    registry.register('fails', async () => {
      throw new CsrSignatureInvalid('signature does not verify');
    });
    // Act
    const error = await registry.invoke('fails', {}).catch((e: unknown) => e);
    // Assess
    expect(error).toBeInstanceOf(LambdaInvocationError);
    expect(error).toMatchObject({
      errorType: 'CsrSignatureInvalid',
      errorMessage: 'signature does not verify',
    });
    await expect(registry.invoke('missing', {})).rejects.toMatchObject({
      errorType: 'ResourceNotFoundException',
    });
  });

  it('gives a handler its timeout in wall time, so computation is not cut short by an accelerated clock', async () => {
    // Prepare: a handler that works for 20 ms of real time, with a 30 s Lambda timeout.
    const registry = new FunctionRegistry('us-east-1', '000000000000');
    registry.register(
      'slow',
      async (_event, context) => {
        await new Promise((resolve) => setTimeout(resolve, 20));
        return context.getRemainingTimeInMillis();
      },
      30,
    );
    // Act
    const remaining = await registry.invoke('slow', {});
    // Assess
    expect(remaining).toBeGreaterThan(25_000);
    expect(remaining).toBeLessThanOrEqual(30_000);
  });

  it('hands the handler its own copy of the event', async () => {
    const registry = new FunctionRegistry('us-east-1', '000000000000');
    registry.register('mutates', async (event) => {
      if (typeof event === 'object' && event !== null) Object.assign(event, { changed: true });
      return event;
    });
    const event = { original: true };
    await registry.invoke('mutates', event);
    expect(event).toEqual({ original: true });
  });
});
