/**
 * What a function worker thread runs: the same functions, registered by `registerFunctions`, with SDK clients
 * of its own on the same local endpoints and a clock that reads the local AWS's time.
 */

import type { AcmPcaSettings } from '../../functions/index.ts';
import { ScaledClock, type ScaledClockOrigin } from '../../lib/clock.ts';
import { FunctionRegistry, type LambdaHandler } from '../lambda/registry.ts';
import { type ClientCredentials, type LocalClients, localClients } from './clients.ts';
import { type FunctionIdentity, registerFunctions } from './function-wiring.ts';
import type { LocalEndpoints } from './types.ts';

type FunctionDeps = ReturnType<Parameters<typeof registerFunctions>[1]>;
/** The functions' settings and resource names: everything but the clients and the clock. */
export type FunctionConfig = Omit<
  FunctionDeps,
  'db' | 'iot' | 'iotData' | 'sfn' | 'sns' | 'clock' | 'privateCa'
> & {
  /** The local private CA the issue function asks, when the stack runs one. */
  readonly privateCaSettings?: AcmPcaSettings;
};

/** The functions' dependencies from their plain configuration and a set of clients. */
export function functionDeps(
  config: FunctionConfig,
  clients: LocalClients,
  clock: FunctionDeps['clock'],
): FunctionDeps {
  const { privateCaSettings, ...rest } = config;
  if (privateCaSettings && !clients.pca) {
    throw new Error('the functions are set to use a private CA, but no ACM PCA endpoint was given');
  }
  return {
    ...rest,
    db: clients.dynamodb,
    iot: clients.iot,
    iotData: clients.iotData,
    sfn: clients.sfn,
    sns: clients.sns,
    ...(clock ? { clock } : {}),
    ...(privateCaSettings && clients.pca
      ? { privateCa: { settings: privateCaSettings, pca: clients.pca } }
      : {}),
  };
}

export interface WorkerFunctionsInit {
  readonly endpoints: LocalEndpoints;
  readonly region: string;
  readonly accountId: string;
  readonly clock: ScaledClockOrigin;
  readonly config: FunctionConfig;
  /** Each function's role credentials, as Lambda gives each function its own. */
  readonly credentials: Readonly<Record<FunctionIdentity, ClientCredentials>>;
}

/** The factory `FunctionWorkers` calls in each worker (`WORKER_FUNCTIONS_EXPORT` of this module). */
export async function buildWorkerFunctions(init: unknown): Promise<Record<string, LambdaHandler>> {
  // Sent by the local AWS itself, from the same types, through a structured clone.
  const { endpoints, region, accountId, clock, config, credentials } = init as WorkerFunctionsInit;
  const registry = new FunctionRegistry(region, accountId);
  const sharedClock = ScaledClock.resume(clock);
  registerFunctions(registry, (id) =>
    functionDeps(config, localClients(endpoints, region, credentials[id]), sharedClock),
  );
  return Object.fromEntries(registry.list().map((fn) => [fn.name, fn.handler]));
}

export const WORKER_FUNCTIONS_MODULE = import.meta.url;
export const WORKER_FUNCTIONS_EXPORT = 'buildWorkerFunctions';
