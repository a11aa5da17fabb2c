import type { Context } from 'aws-lambda';
import type { z } from 'zod';
import { type Clock, clockOf, wallClock } from '../../lib/clock.ts';
import { CAMPAIGN_FUNCTIONS } from '../../workflows/campaign/functions.ts';
import type { FunctionSpec } from '../../workflows/rotate-device/function-spec.ts';
import { FUNCTIONS } from '../../workflows/rotate-device/functions.ts';
import {
  type ContractEnv,
  contractEnv,
  givenSettings,
  type RuntimeOptions,
  readSettings,
  type SettingsInput,
  type SettingsOf,
} from './environment.ts';
import type { ClientEndpoints, ClientFactory } from './lambda-clients.ts';
import {
  type Counter,
  type Log,
  lazyHandler,
  observabilityFor,
  reportingOf,
  wrapHandler,
} from './observability.ts';
import { logKeysOf, parseStepInput } from './step-input.ts';

/**
 * One function of the contract, wired once: its environment, task input and log keys come from its
 * `FUNCTIONS` / `CAMPAIGN_FUNCTIONS` entry, so a handler names only its clients and its domain call.
 */

const CONTRACT = { ...FUNCTIONS, ...CAMPAIGN_FUNCTIONS };

export type ContractFunctionId = keyof typeof CONTRACT;
type EntryOf<Id extends ContractFunctionId> = (typeof CONTRACT)[Id];
type VariablesOf<Id extends ContractFunctionId> = EntryOf<Id>['environment'];
/** The parsed task input, or the raw event of a function that judges its own. */
export type InputOf<Id extends ContractFunctionId> =
  EntryOf<Id> extends {
    readonly event: { readonly schema: infer S extends z.ZodType };
  }
    ? z.infer<S>
    : unknown;

type ClientFactories = Readonly<Record<string, ClientFactory<unknown>>>;
export type ClientsOf<C extends ClientFactories> = { readonly [K in keyof C]: ReturnType<C[K]> };

/** What every domain module is handed besides its clients and settings. */
export interface Runtime {
  readonly clock: Clock;
  readonly log: Log;
  readonly counter: Counter;
}

/** A function's clients and its settings, by the keys its contract entry gives them. */
export type FunctionDeps<Id extends ContractFunctionId, C extends ClientFactories> = ClientsOf<C> &
  SettingsOf<VariablesOf<Id>>;

export type Run<I, R> = (input: I, context: Context) => Promise<R>;
export type LambdaHandler<R> = (event: unknown, context: Context) => Promise<R>;

export interface FunctionDefinition<Id extends ContractFunctionId, C extends ClientFactories, X, R> {
  /** The SDK clients the function calls, each built once on Lambda by its factory. */
  readonly clients: C;
  /**
   * On Lambda: what the function builds from its settings beyond them (an issuer, a pacing), which a
   * run outside Lambda may give instead (`options`); the contract's variables are in `env`.
   */
  readonly fromEnvironment?: (deps: FunctionDeps<Id, C>, env: ContractEnv) => X;
  /** Builds the run once per handler (stores over the clients, checks of the settings). */
  readonly build: (deps: FunctionDeps<Id, C>, runtime: Runtime, options: Partial<X>) => Run<InputOf<Id>, R>;
}

/** What a run outside Lambda (the local stack, tests) gives in place of the environment. */
export type HandlerDeps<Id extends ContractFunctionId, C extends ClientFactories, X> = ClientsOf<C> &
  SettingsInput<VariablesOf<Id>> &
  Partial<X> &
  RuntimeOptions;

export interface DefinedFunction<Id extends ContractFunctionId, C extends ClientFactories, X, R> {
  /** The handler built with the given clients and settings. */
  readonly createHandler: (deps: HandlerDeps<Id, C, X>) => LambdaHandler<R>;
  /** Lambda's entry point: clients and settings from the environment, built on first use. */
  readonly handler: LambdaHandler<R>;
}

export function defineFunction<
  Id extends ContractFunctionId,
  C extends ClientFactories,
  R,
  X extends object = Record<never, never>,
>(id: Id, definition: FunctionDefinition<Id, C, X, R>): DefinedFunction<Id, C, X, R> {
  const entry: FunctionSpec<string> = CONTRACT[id];
  const variables = entry.environment;
  const assemble = (deps: FunctionDeps<Id, C>, options: Partial<X>, runtime: RuntimeOptions) => {
    const settings = deps as { readonly metricsNamespace?: string };
    const observability = observabilityFor(entry.id, {
      ...(runtime.logLevel ? { logLevel: runtime.logLevel } : {}),
      ...(settings.metricsNamespace ? { metricsNamespace: settings.metricsNamespace } : {}),
    });
    const run = definition.build(
      deps,
      { clock: clockOf(runtime.clock ?? wallClock), ...reportingOf(observability) },
      options,
    );
    const event = entry.event;
    if (!event) return wrapHandler(observability, run as Run<unknown, R>);
    const what = entry.trigger.kind === 'state-machine-task' ? entry.trigger.state : entry.id;
    return wrapHandler(observability, async (raw, context) => {
      const input = parseStepInput(event.schema, raw, what);
      observability.logger.appendKeys(logKeysOf(input, event.logKeys));
      return run(input as InputOf<Id>, context);
    });
  };
  return {
    createHandler: (given) => {
      const clients = Object.fromEntries(
        Object.keys(definition.clients).map((name) => [name, (given as Record<string, unknown>)[name]]),
      );
      const deps = { ...clients, ...givenSettings(variables, given) } as FunctionDeps<Id, C>;
      return assemble(deps, given as Partial<X>, given);
    },
    handler: lazyHandler(() => {
      const env = contractEnv(variables);
      const settings = readSettings(variables, env);
      const endpoints = endpointsOf(entry, settings);
      const clients = Object.fromEntries(
        Object.entries(definition.clients).map(([name, factory]) => [name, factory(endpoints)]),
      );
      const deps = { ...clients, ...settings } as FunctionDeps<Id, C>;
      const options = definition.fromEnvironment?.(deps, env) ?? {};
      return assemble(deps, options, {});
    }),
  };
}

/** The endpoints the entry's variables name (by their source), for the clients' factories. */
function endpointsOf(entry: FunctionSpec<string>, settings: object): ClientEndpoints {
  const key = entry.environment.find((v) => v.source === 'iotDataEndpoint')?.key;
  const iotData = key === undefined ? undefined : (settings as Record<string, unknown>)[key];
  return typeof iotData === 'string' ? { iotData } : {};
}
