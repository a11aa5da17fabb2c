import type { Clock } from '../../lib/clock.ts';
import { LOCAL_HOST } from '../config.ts';
import type { FunctionRegistry } from '../lambda/registry.ts';
import { StepFunctionsEngine } from './engine.ts';
import type { Integrations } from './integrations.ts';
import { StepFunctionsServer } from './server.ts';

export {
  type EngineOptions,
  PRICE_PER_TRANSITION_USD,
  type StatusChangeEvent,
  type StatusListener,
  StepFunctionsEngine,
} from './engine.ts';
export type { Integrations, SdkClient, SdkService } from './integrations.ts';
export { StepFunctionsServer } from './server.ts';

export interface LocalStepFunctions {
  readonly engine: StepFunctionsEngine;
  readonly server: StepFunctionsServer;
  /** `http://127.0.0.1:<port>`: the endpoint for `new SFNClient({ endpoint })`. */
  readonly endpoint: string;
  close(): Promise<void>;
}

/** Opens the engine on its state directory (resuming running executions) and serves the API on loopback. */
export const startLocalStepFunctions = async (options: {
  stateDir: string;
  clock: Clock;
  region: string;
  accountId: string;
  functions: FunctionRegistry;
  integrations?: Integrations;
  port?: number;
}): Promise<LocalStepFunctions> => {
  const engine = new StepFunctionsEngine(options);
  await engine.open();
  const server = new StepFunctionsServer(engine);
  const port = await server.start({ port: options.port ?? 0, host: LOCAL_HOST });
  return {
    engine,
    server,
    endpoint: `http://${LOCAL_HOST}:${port}`,
    close: async () => {
      await server.close();
      await engine.close();
    },
  };
};
