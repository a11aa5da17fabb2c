import type { Clock, Timer } from '../../lib/clock.ts';
import type { InvokeCaller } from '../iam/types.ts';
import { type FunctionRegistry, LambdaInvocationError } from '../lambda/registry.ts';

/**
 * Lambda's asynchronous invocation as IoT rules, SNS and EventBridge use it: an error is retried after one,
 * then two more minutes (AWS's defaults); a refused call fails at once, as Invoke itself refuses it.
 */
export const LAMBDA_ASYNC_RETRY_DELAYS_MS: readonly number[] = [60_000, 120_000];

/** `attempts` is 0 when the Invoke call itself was refused (ResourceNotFound, AccessDenied). */
export type AsyncInvokeOutcome =
  | { readonly ok: true; readonly attempts: number; readonly result: unknown }
  | { readonly ok: false; readonly attempts: number; readonly error: LambdaInvocationError };

export interface AsyncInvokerOptions {
  /** Delays before each retry (default: one and two minutes). An empty list means no retries. */
  readonly retryDelaysMs?: readonly number[];
}

export class AsyncLambdaInvoker {
  private readonly retryDelaysMs: readonly number[];
  private readonly timers = new Set<Timer>();
  private readonly inFlight = new Set<Promise<AsyncInvokeOutcome>>();
  private closed = false;

  constructor(
    private readonly functions: FunctionRegistry,
    private readonly clock: Clock,
    options: AsyncInvokerOptions = {},
  ) {
    this.retryDelaysMs = options.retryDelaysMs ?? LAMBDA_ASYNC_RETRY_DELAYS_MS;
  }

  /**
   * Queues one asynchronous invocation for `caller` (unchecked when omitted); the promise never rejects: it
   * settles once the function succeeded, its last retry failed, or the call was refused.
   */
  invoke(functionArn: string, event: unknown, caller?: InvokeCaller): Promise<AsyncInvokeOutcome> {
    const outcome = this.run(functionArn, event, caller);
    this.inFlight.add(outcome);
    void outcome.finally(() => this.inFlight.delete(outcome));
    return outcome;
  }

  /** Invocations not yet finished (running or waiting for a retry). */
  pending(): number {
    return this.inFlight.size;
  }

  /** Resolves when every queued invocation has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /** Cancels pending retries; their invocations end as failed with the last error they had. */
  close(): void {
    this.closed = true;
    for (const timer of this.timers) this.clock.clearTimer(timer);
    this.timers.clear();
    for (const cancel of this.cancels) cancel();
    this.cancels.clear();
  }

  private readonly cancels = new Set<() => void>();

  private async run(
    functionArn: string,
    event: unknown,
    caller: InvokeCaller | undefined,
  ): Promise<AsyncInvokeOutcome> {
    if (!this.functions.resolve(functionArn)) {
      const error = new LambdaInvocationError(
        'ResourceNotFoundException',
        `Function not found: ${functionArn}`,
      );
      return { ok: false, attempts: 0, error };
    }
    // Authorized once, when the event is accepted: Lambda's own retries of a queued event are not
    // checked again, so they run without the caller.
    const refusal = caller ? this.functions.authorize(functionArn, caller) : undefined;
    if (refusal) return { ok: false, attempts: 0, error: refusal };
    let attempts = 0;
    for (;;) {
      attempts++;
      try {
        const result = await this.functions.invoke(functionArn, event);
        return { ok: true, attempts, result };
      } catch (caught) {
        const error =
          caught instanceof LambdaInvocationError
            ? caught
            : new LambdaInvocationError('Error', String(caught), { cause: caught });
        const delay = this.retryDelaysMs[attempts - 1];
        if (delay === undefined || this.closed) return { ok: false, attempts, error };
        const waited = await this.wait(delay);
        if (!waited) return { ok: false, attempts, error };
      }
    }
  }

  /** Waits `ms` on the clock; false when the invoker closed meanwhile. */
  private wait(ms: number): Promise<boolean> {
    return new Promise((resolve) => {
      const cancel = (): void => resolve(false);
      this.cancels.add(cancel);
      const timer = this.clock.setTimer(this.clock.now() + ms, () => {
        this.timers.delete(timer);
        this.cancels.delete(cancel);
        resolve(true);
      });
      this.timers.add(timer);
    });
  }
}
