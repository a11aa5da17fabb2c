import type { Clock, Timer } from '../../lib/clock.ts';
import type { InvokeCaller } from '../iam/types.ts';
import { type FunctionRegistry, LambdaInvocationError } from '../lambda/registry.ts';
import { AsyncInvokeJournal } from './async-invoke-journal.ts';

/**
 * Lambda's asynchronous invocation as IoT rules, SNS and EventBridge use it: an error is retried after one,
 * then two more minutes (AWS's defaults); a refused call fails at once, as Invoke itself refuses it.
 */
export const LAMBDA_ASYNC_RETRY_DELAYS_MS: readonly number[] = [60_000, 120_000];

/**
 * `attempts` is 0 when the Invoke call itself was refused (ResourceNotFound, AccessDenied). `carried` marks
 * an invocation the stop of the local AWS interrupted: it stays queued and runs again at the next start.
 */
export type AsyncInvokeOutcome =
  | { readonly ok: true; readonly attempts: number; readonly result: unknown }
  | {
      readonly ok: false;
      readonly attempts: number;
      readonly error: LambdaInvocationError;
      readonly carried?: true;
    };

export interface AsyncInvokerOptions {
  /** Delays before each retry (default: one and two minutes). An empty list means no retries. */
  readonly retryDelaysMs?: readonly number[];
  /** Accepted invocations not yet finished are kept below `<stateDir>/events/` across a stop. */
  readonly stateDir?: string;
  /** How long close waits for running invocations before it keeps them as they are (default 5 s). */
  readonly closeWaitMs?: number;
}

interface Accepted {
  readonly functionArn: string;
  readonly event: unknown;
  /** Attempts that failed and counted against Lambda's retries. */
  failed: number;
}

export class AsyncLambdaInvoker {
  private readonly retryDelaysMs: readonly number[];
  private readonly journal: AsyncInvokeJournal | undefined;
  private readonly closeWaitMs: number;
  private readonly timers = new Set<Timer>();
  private readonly cancels = new Set<() => void>();
  private readonly inFlight = new Set<Promise<AsyncInvokeOutcome>>();
  /** Accepted and not finished: what a stop keeps. */
  private readonly accepted = new Set<Accepted>();
  private closed = false;

  constructor(
    private readonly functions: FunctionRegistry,
    private readonly clock: Clock,
    options: AsyncInvokerOptions = {},
  ) {
    this.retryDelaysMs = options.retryDelaysMs ?? LAMBDA_ASYNC_RETRY_DELAYS_MS;
    this.journal = options.stateDir ? AsyncInvokeJournal.inStateDir(options.stateDir) : undefined;
    this.closeWaitMs = options.closeWaitMs ?? 5_000;
  }

  /**
   * Queues one asynchronous invocation for `caller` (unchecked when omitted); the promise never rejects: it
   * settles once the function succeeded, its last retry failed, the call was refused, or the invoker closed.
   */
  invoke(functionArn: string, event: unknown, caller?: InvokeCaller): Promise<AsyncInvokeOutcome> {
    return this.track(this.run(functionArn, event, caller, 0));
  }

  /** Runs again the invocations the last stop kept (once they were accepted, nobody is asked again). */
  async resume(): Promise<number> {
    const queued = (await this.journal?.take()) ?? [];
    for (const entry of queued) {
      void this.track(this.run(entry.functionArn, entry.event, undefined, entry.attempts));
    }
    return queued.length;
  }

  /** Invocations not yet finished (running or waiting for a retry). */
  pending(): number {
    return this.inFlight.size;
  }

  /** Resolves when every queued invocation has finished. */
  async idle(): Promise<void> {
    while (this.inFlight.size > 0) await Promise.allSettled([...this.inFlight]);
  }

  /**
   * Cancels pending retries and waits a moment for running invocations. What is still accepted and
   * unfinished is kept in the state directory for the next start; without one, it ends as failed.
   */
  async close(): Promise<void> {
    this.closed = true;
    for (const timer of this.timers) this.clock.clearTimer(timer);
    this.timers.clear();
    for (const cancel of this.cancels) cancel();
    this.cancels.clear();
    let bound: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...this.inFlight]),
      new Promise<void>((resolve) => {
        bound = setTimeout(resolve, this.closeWaitMs);
      }),
    ]);
    clearTimeout(bound);
    await this.journal?.save(
      [...this.accepted].map((entry) => ({
        functionArn: entry.functionArn,
        event: entry.event,
        attempts: entry.failed,
      })),
    );
  }

  private track(outcome: Promise<AsyncInvokeOutcome>): Promise<AsyncInvokeOutcome> {
    this.inFlight.add(outcome);
    void outcome.finally(() => this.inFlight.delete(outcome));
    return outcome;
  }

  private async run(
    functionArn: string,
    event: unknown,
    caller: InvokeCaller | undefined,
    failedBefore: number,
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
    const entry: Accepted = { functionArn, event, failed: failedBefore };
    this.accepted.add(entry);
    for (;;) {
      if (this.closed) return this.carried(entry);
      try {
        const result = await this.functions.invoke(functionArn, event);
        this.accepted.delete(entry);
        return { ok: true, attempts: entry.failed + 1, result };
      } catch (caught) {
        const error =
          caught instanceof LambdaInvocationError
            ? caught
            : new LambdaInvocationError('Error', String(caught), { cause: caught });
        // A failure while the service stops is the stop's, not the function's: it costs no retry.
        if (this.closed || this.functions.isStopping) return this.carried(entry, error);
        entry.failed++;
        const delay = this.retryDelaysMs[entry.failed - 1];
        if (delay === undefined) {
          this.accepted.delete(entry);
          return { ok: false, attempts: entry.failed, error };
        }
        if (!(await this.wait(delay))) return this.carried(entry, error);
      }
    }
  }

  private carried(entry: Accepted, error?: LambdaInvocationError): AsyncInvokeOutcome {
    const reason =
      error ?? new LambdaInvocationError('Lambda.ServiceException', 'the local Lambda service is stopping');
    return { ok: false, attempts: Math.max(1, entry.failed), error: reason, carried: true };
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
