import type { Clock } from '../../lib/clock.ts';
import type { AccessCheck } from '../iam/types.ts';
import type { FunctionRegistry } from '../lambda/registry.ts';
import { AsyncLambdaInvoker } from './async-invoke.ts';
import { LocalEventBridge } from './eventbridge.ts';
import { LocalEventsServer } from './events-server.ts';
import { LocalSns } from './sns.ts';

export interface LocalEventsOptions {
  readonly functions: FunctionRegistry;
  readonly clock: Clock;
  readonly region: string;
  readonly accountId: string;
  /** SNS and EventBridge state persist under `<stateDir>/events/`; in memory when omitted. */
  readonly stateDir?: string;
  /** The HTTP port for both APIs; 0 (default) picks a free one. */
  readonly port?: number;
  /** Lambda async retry delays for deliveries (default: one and two minutes on the clock). */
  readonly retryDelaysMs?: readonly number[];
  /** Authenticate and authorize each SNS and EventBridge request (IAM); none: all allowed. */
  readonly snsAccessCheck?: AccessCheck;
  readonly eventsAccessCheck?: AccessCheck;
}

/**
 * SNS and EventBridge together, as `recert local up` runs them: one asynchronous Lambda invoker for
 * both, and one HTTP endpoint answering `@aws-sdk/client-sns` and `@aws-sdk/client-eventbridge`.
 */
export class LocalEvents {
  readonly invoker: AsyncLambdaInvoker;
  readonly sns: LocalSns;
  readonly eventBridge: LocalEventBridge;
  private readonly server: LocalEventsServer;

  constructor(options: LocalEventsOptions) {
    this.invoker = new AsyncLambdaInvoker(options.functions, options.clock, {
      ...(options.retryDelaysMs ? { retryDelaysMs: options.retryDelaysMs } : {}),
      ...(options.stateDir !== undefined ? { stateDir: options.stateDir } : {}),
    });
    const shared = {
      functions: options.functions,
      clock: options.clock,
      region: options.region,
      accountId: options.accountId,
      invoker: this.invoker,
      ...(options.stateDir !== undefined ? { stateDir: options.stateDir } : {}),
    };
    this.sns = new LocalSns(shared);
    this.eventBridge = new LocalEventBridge(shared);
    this.server = new LocalEventsServer({
      sns: this.sns,
      eventBridge: this.eventBridge,
      ...(options.port !== undefined ? { port: options.port } : {}),
      ...(options.snsAccessCheck ? { snsAccessCheck: options.snsAccessCheck } : {}),
      ...(options.eventsAccessCheck ? { eventsAccessCheck: options.eventsAccessCheck } : {}),
    });
  }

  /** Loads the stored topics, subscriptions and rules, then listens; returns the endpoint URL. */
  async start(): Promise<string> {
    await this.sns.start();
    await this.eventBridge.start();
    return this.server.start();
  }

  get endpoint(): string {
    return this.server.endpoint;
  }

  /** Resolves when every delivery started so far has ended (with its retries). */
  idle(): Promise<void> {
    return this.invoker.idle();
  }

  async close(): Promise<void> {
    await this.server.close();
    await this.invoker.close();
    await this.sns.close();
    await this.eventBridge.close();
  }
}
