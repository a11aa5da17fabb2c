import { randomUUID } from 'node:crypto';
import type { Context } from 'aws-lambda';

/** A Lambda handler as AWS calls it: the event and a context; the result or a thrown error. */
export type LambdaHandler = (event: unknown, context: Context) => Promise<unknown>;

export interface LocalFunction {
  readonly name: string;
  readonly arn: string;
  readonly handler: LambdaHandler;
  /** Lambda's timeout for this function, in seconds (default 30). */
  readonly timeoutSeconds?: number;
}

/** What a failed invocation looks like to a caller, as Lambda reports it. */
export class LambdaInvocationError extends Error {
  constructor(
    readonly errorType: string,
    readonly errorMessage: string,
    options?: { cause?: unknown },
  ) {
    super(errorMessage, options);
    this.name = errorType;
  }
}

/**
 * A failure of the Lambda service itself, not of the function (which never ran): a transient 500
 * such as `ServiceException` or `ClientExecutionTimeoutException`, or a 429 throttle. Step Functions
 * reports it as `Lambda.<exception>`.
 */
export class LambdaServiceError extends LambdaInvocationError {
  constructor(
    readonly exception: string,
    message: string,
    readonly statusCode = exception === 'TooManyRequestsException' ? 429 : 500,
  ) {
    super(`Lambda.${exception}`, message);
  }
}

/** The in-process Lambda service: functions by name or ARN (with or without a version or alias). */
export class FunctionRegistry {
  private readonly byKey = new Map<string, LocalFunction>();
  private readonly invocationCounts = new Map<string, number>();
  private readonly running = new Set<Promise<unknown>>();
  private readonly faults = new Map<string, { exception: string; remaining: number }>();
  private stopping = false;

  constructor(
    readonly region: string,
    readonly accountId: string,
  ) {}

  arnOf(name: string): string {
    return `arn:aws:lambda:${this.region}:${this.accountId}:function:${name}`;
  }

  register(name: string, handler: LambdaHandler, timeoutSeconds?: number): LocalFunction {
    const fn: LocalFunction = {
      name,
      arn: this.arnOf(name),
      handler,
      ...(timeoutSeconds ? { timeoutSeconds } : {}),
    };
    this.byKey.set(name, fn);
    this.byKey.set(fn.arn, fn);
    return fn;
  }

  /** Resolves a function name, a function ARN, or a qualified ARN (`...:function:name:$LATEST`). */
  resolve(nameOrArn: string): LocalFunction | undefined {
    const direct = this.byKey.get(nameOrArn);
    if (direct) return direct;
    const match = /^arn:aws:lambda:[^:]+:[^:]+:function:([^:]+)(?::[^:]+)?$/.exec(nameOrArn);
    return match?.[1] ? this.byKey.get(match[1]) : undefined;
  }

  /** Invocations so far (billed as Lambda bills them: one per call, retries included), by function name. */
  invocations(): ReadonlyMap<string, number> {
    return new Map(this.invocationCounts);
  }

  list(): LocalFunction[] {
    return [...new Set(this.byKey.values())];
  }

  /**
   * Invokes a function in this process as Lambda would: a fresh context with the request id and the
   * remaining (wall) time; a thrown error becomes a `LambdaInvocationError` whose `errorType` is the error's
   * `name`, as the Node.js runtime reports it.
   */
  async invoke(nameOrArn: string, event: unknown): Promise<unknown> {
    const fn = this.resolve(nameOrArn);
    if (!fn) {
      throw new LambdaInvocationError('ResourceNotFoundException', `Function not found: ${nameOrArn}`);
    }
    if (this.stopping) {
      throw new LambdaServiceError('ServiceException', 'the local Lambda service is stopping');
    }
    const fault = this.faults.get(fn.name);
    if (fault) {
      if (--fault.remaining <= 0) this.faults.delete(fn.name);
      throw new LambdaServiceError(fault.exception, `injected fault: ${fault.exception}`);
    }
    const run = this.run(fn, event);
    this.running.add(run);
    try {
      return await run;
    } finally {
      this.running.delete(run);
    }
  }

  /**
   * Fault hook (tests): the next `times` invocations of the function fail in the service with
   * `exception` before the function runs, as a transient Lambda 500 does.
   */
  failNextInvocations(nameOrArn: string, exception: string, times = 1): void {
    const fn = this.resolve(nameOrArn);
    if (!fn) throw new Error(`no function ${nameOrArn} to fail`);
    this.faults.set(fn.name, { exception, remaining: times });
  }

  /**
   * Stops taking invocations and waits (at most `timeoutMs`) for the running ones, which from now on
   * see no time left (`getRemainingTimeInMillis()` is 0), as before a Lambda timeout: a function that
   * works in turns ends its turn instead of calling services that are about to close.
   */
  async drain(timeoutMs: number): Promise<void> {
    this.stopping = true;
    if (this.running.size === 0) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.running]),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, timeoutMs);
      }),
    ]);
    clearTimeout(timer);
  }

  private async run(fn: LocalFunction, event: unknown): Promise<unknown> {
    this.invocationCounts.set(fn.name, (this.invocationCounts.get(fn.name) ?? 0) + 1);
    const timeoutMs = (fn.timeoutSeconds ?? 30) * 1000;
    // Lambda's timeout bounds computation, which an accelerated clock does not speed up: the
    // remaining time is wall time, whatever the shared clock's speed.
    const deadline = Date.now() + timeoutMs;
    const requestId = randomUUID();
    const context: Context = {
      callbackWaitsForEmptyEventLoop: false,
      functionName: fn.name,
      functionVersion: '$LATEST',
      invokedFunctionArn: fn.arn,
      memoryLimitInMB: '256',
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${fn.name}`,
      logStreamName: `local/${requestId}`,
      getRemainingTimeInMillis: () => (this.stopping ? 0 : Math.max(0, deadline - Date.now())),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    try {
      // A structured clone gives the handler its own copy, as a serialised Lambda event would.
      return await fn.handler(structuredClone(event), context);
    } catch (error) {
      if (error instanceof Error) {
        throw new LambdaInvocationError(error.name || 'Error', error.message, { cause: error });
      }
      throw new LambdaInvocationError('Error', String(error), { cause: error });
    }
  }
}
