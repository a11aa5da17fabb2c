import type { Clock } from '../../../lib/clock.ts';
import { LOCAL_ACCOUNT_ID, LOCAL_REGION } from '../../../local/config.ts';
import { LocalEventBridge } from '../../../local/events/eventbridge.ts';
import { LocalEventsServer } from '../../../local/events/events-server.ts';
import { LocalSns } from '../../../local/events/sns.ts';
import type { FunctionRegistry } from '../../../local/lambda/registry.ts';

/** SNS and EventBridge of the local account, started and served at `endpoint` by one events server. */
export interface ServedEvents {
  readonly sns: LocalSns;
  readonly eventBridge: LocalEventBridge;
  readonly endpoint: string;
  /** Closes the server, then both services. */
  close(): Promise<void>;
}

/** Starts SNS and EventBridge on `functions` and `clock`, keeping their state under `stateDir` when given. */
export async function startServedEvents(options: {
  functions: FunctionRegistry;
  clock: Clock;
  stateDir?: string;
}): Promise<ServedEvents> {
  const service = { ...options, region: LOCAL_REGION, accountId: LOCAL_ACCOUNT_ID };
  const sns = new LocalSns(service);
  await sns.start();
  const eventBridge = new LocalEventBridge(service);
  await eventBridge.start();
  const server = new LocalEventsServer({ sns, eventBridge });
  const endpoint = await server.start();
  return {
    sns,
    eventBridge,
    endpoint,
    async close() {
      await server.close();
      await sns.close();
      await eventBridge.close();
    },
  };
}
