import type { Clock } from '../../lib/clock.ts';
import type { InvokeCaller } from '../iam/types.ts';
import type { FunctionRegistry } from '../lambda/registry.ts';
import { type AsyncInvokeOutcome, AsyncLambdaInvoker } from './async-invoke.ts';

/** What a service that delivers events to Lambda functions asynchronously (SNS, EventBridge) is given. */
export interface LambdaTargetServiceOptions {
  readonly functions: FunctionRegistry;
  readonly clock: Clock;
  readonly region: string;
  readonly accountId: string;
  /** The service's state persists below `<stateDir>/events/`; in memory when omitted. */
  readonly stateDir?: string;
  /** Shared asynchronous Lambda invoker; one with Lambda's default retries is made when omitted. */
  readonly invoker?: AsyncLambdaInvoker;
}

/**
 * One service's asynchronous deliveries to Lambda: the invoker (its own unless shared, and then
 * closed with the service) and the listeners told how each delivery ended, after its retries.
 */
export class LambdaDeliveries<Delivery> {
  private readonly invoker: AsyncLambdaInvoker;
  private readonly ownsInvoker: boolean;
  private readonly listeners = new Set<(delivery: Delivery) => void>();

  constructor(options: LambdaTargetServiceOptions) {
    this.ownsInvoker = !options.invoker;
    this.invoker = options.invoker ?? new AsyncLambdaInvoker(options.functions, options.clock);
  }

  /** Starts one delivery; `describe` turns its outcome into what the listeners hear. */
  deliver(
    functionArn: string,
    event: unknown,
    caller: InvokeCaller,
    describe: (outcome: AsyncInvokeOutcome) => Delivery,
  ): void {
    void this.invoker.invoke(functionArn, event, caller).then((outcome) => {
      for (const listener of this.listeners) listener(describe(outcome));
    });
  }

  onDelivery(listener: (delivery: Delivery) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when every delivery started so far has ended (including retries). */
  idle(): Promise<void> {
    return this.invoker.idle();
  }

  async close(): Promise<void> {
    if (this.ownsInvoker) await this.invoker.close();
  }
}
