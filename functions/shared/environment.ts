import type { TimeSource } from '../../lib/clock.ts';
import type { EnvVarSpec } from '../../workflows/rotate-device/function-spec.ts';

export { dynamoDbClient } from './lambda-clients.ts';

export class ConfigurationError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigurationError';
  }
}

/** Runtime options shared by every handler's `createHandler`. */
export interface RuntimeOptions {
  readonly clock?: TimeSource;
  readonly logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  readonly metricsNamespace?: string;
}

type Variables = readonly EnvVarSpec[];
type Keyed<E extends Variables> = Extract<E[number], { readonly key: string }>;

/** The value a variable's text becomes, by its `type` (and `values`). */
export type SettingValue<V> = V extends { readonly type: 'number' | 'wholeNumber' }
  ? number
  : V extends { readonly type: 'boolean' }
    ? boolean
    : V extends { readonly type: 'list' }
      ? readonly string[]
      : V extends { readonly values: readonly (infer T)[] }
        ? T
        : string;

/** Always there: a default, or required with no way of doing without. */
type Always<V> = V extends { readonly default: string }
  ? true
  : V extends { readonly whenAbsent: string }
    ? false
    : V extends { readonly required: true }
      ? true
      : false;

/** What a run outside Lambda must give: endpoints only build clients, so they are not asked for. */
type Given<V> = V extends { readonly source: 'iotDataEndpoint' }
  ? 'client'
  : V extends { readonly default: string }
    ? 'optional'
    : Always<V> extends true
      ? 'required'
      : 'optional';

/** The settings a function's code reads, by key: what its contract entry's variables say. */
export type SettingsOf<E extends Variables> = {
  readonly [V in Keyed<E> as Always<V> extends true ? V['key'] : never]: SettingValue<V>;
} & { readonly [V in Keyed<E> as Always<V> extends true ? never : V['key']]?: SettingValue<V> };

/** The settings `createHandler` takes: those without a default, or that the function cannot do without. */
export type SettingsInput<E extends Variables> = {
  readonly [V in Keyed<E> as Given<V> extends 'required' ? V['key'] : never]: SettingValue<V>;
} & { readonly [V in Keyed<E> as Given<V> extends 'optional' ? V['key'] : never]?: SettingValue<V> };

/** The contract's variables of one function, by name, as the environment sets them (nothing else). */
export type ContractEnv = Readonly<Record<string, string | undefined>>;

export function contractEnv(variables: Variables, env: NodeJS.ProcessEnv = process.env): ContractEnv {
  return Object.fromEntries(variables.map((v) => [v.name, env[v.name]]));
}

/**
 * The settings from the environment: a default where the variable is unset, a `ConfigurationError`
 * naming the variable where a required one is missing or a value is malformed.
 */
export function readSettings<E extends Variables>(variables: E, env: ContractEnv): SettingsOf<E> {
  const settings: Record<string, unknown> = {};
  for (const variable of variables) {
    if (variable.key === undefined) continue;
    const text = env[variable.name];
    if (text !== undefined && text !== '') settings[variable.key] = parseSetting(variable, text);
    else if (variable.default !== undefined)
      settings[variable.key] = parseSetting(variable, variable.default);
    else if (variable.required)
      throw new ConfigurationError(`environment variable ${variable.name} is not set`);
  }
  return settings as SettingsOf<E>;
}

/** The settings given outside Lambda (`given`, by key), over the contract's defaults. */
export function givenSettings<E extends Variables>(variables: E, given: object): SettingsOf<E> {
  const values = given as Readonly<Record<string, unknown>>;
  const settings: Record<string, unknown> = {};
  for (const variable of variables) {
    if (variable.key === undefined) continue;
    const value = values[variable.key];
    if (value !== undefined) settings[variable.key] = value;
    else if (variable.default !== undefined)
      settings[variable.key] = parseSetting(variable, variable.default);
  }
  return settings as SettingsOf<E>;
}

/** The name of the variable behind a setting, for a message that tells the operator what to set. */
export function variableNamed(variables: Variables, key: string): string {
  const variable = variables.find((v) => v.key === key);
  if (!variable) throw new Error(`no environment variable of the contract has the key ${key}`);
  return variable.name;
}

function parseSetting(variable: EnvVarSpec, text: string): unknown {
  const invalid = (what: string) =>
    new ConfigurationError(
      `environment variable ${variable.name} must be ${what}, got ${JSON.stringify(text)}`,
    );
  if (variable.values && !variable.values.includes(text))
    throw invalid(`one of ${variable.values.join(', ')}`);
  switch (variable.type) {
    case 'number': {
      const value = Number(text);
      if (!Number.isFinite(value) || value < 0) throw invalid('a non-negative number');
      return value;
    }
    case 'wholeNumber': {
      const value = Number(text);
      if (!Number.isInteger(value) || value < 1) throw invalid('a whole number >= 1');
      return value;
    }
    case 'boolean':
      if (/^(true|1|yes)$/i.test(text)) return true;
      if (/^(false|0|no)$/i.test(text)) return false;
      throw invalid('true or false');
    case 'list':
      return text
        .split(',')
        .map((item) => item.trim())
        .filter(Boolean);
    default:
      return text;
  }
}
