import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { z } from 'zod';
import { InvalidDefinitionError } from './errors.ts';
import { isObject, type Json, type JsonObject, parseJson } from './json.ts';
import { parseState, type State } from './states/types.ts';
import { validatorView } from './validator-view.ts';

/**
 * A state machine definition, validated once and indexed for the interpreter: every states container
 * (the top level, each Parallel branch, each Map item processor) under a stable key.
 */

export type QueryLanguage = 'JSONPath' | 'JSONata';

export interface Container {
  readonly key: string;
  readonly startAt: string;
  /** The states, parsed once into their types. */
  readonly states: Readonly<Record<string, State>>;
  /** The states as written. */
  readonly raw: Readonly<Record<string, JsonObject>>;
}

export interface Definition {
  readonly hash: string;
  readonly text: string;
  readonly root: JsonObject;
  readonly queryLanguage: QueryLanguage;
  readonly timeoutSeconds: number | undefined;
  readonly containers: ReadonlyMap<string, Container>;
}

export const ROOT = 'root';

export const branchKey = (parent: string, state: string, index: number): string =>
  `${parent}/${state}#${index}`;
export const mapKey = (parent: string, state: string): string => `${parent}/${state}#map`;

const validatorResult = z.object({
  isValid: z.boolean(),
  errors: z.array(z.record(z.string(), z.unknown())).default([]),
});

const require = createRequire(import.meta.url);
let validatorFn: ((definition: unknown) => unknown) | undefined;
const validator = (): ((definition: unknown) => unknown) => {
  if (!validatorFn) {
    const mod: unknown = require('asl-validator');
    const fn =
      typeof mod === 'function'
        ? mod
        : isRecord(mod) && typeof mod.default === 'function'
          ? mod.default
          : undefined;
    if (typeof fn !== 'function') throw new Error('asl-validator does not export a function');
    validatorFn = (definition: unknown): unknown => Reflect.apply(fn, undefined, [definition]);
  }
  return validatorFn;
};
const isRecord = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null;

const cache = new Map<string, Definition>();

export const hashDefinition = (text: string): string => createHash('sha256').update(text).digest('hex');

/** Parses and validates a definition (cached by its hash: asl-validator takes a third of a second). */
export const loadDefinition = (text: string): Definition => {
  const hash = hashDefinition(text);
  const hit = cache.get(hash);
  if (hit) return hit;
  let root: Json;
  try {
    root = parseJson(text);
  } catch (error) {
    throw new InvalidDefinitionError(
      `Invalid State Machine Definition: the definition is not valid JSON: ${String(error)}`,
      {
        cause: error,
      },
    );
  }
  if (!isObject(root))
    throw new InvalidDefinitionError(
      'Invalid State Machine Definition: the definition must be a JSON object',
    );
  const verdict = validatorResult.safeParse(validator()(validatorView(root)));
  if (!verdict.success) throw new Error('asl-validator returned an unexpected result');
  if (!verdict.data.isValid) {
    const problems = verdict.data.errors.map((e) => {
      const code = e['Error code'];
      const message = e.Message;
      return `${typeof code === 'string' ? code : 'SCHEMA_VALIDATION_FAILED'}: ${typeof message === 'string' ? message : JSON.stringify(e)}`;
    });
    throw new InvalidDefinitionError(`Invalid State Machine Definition: '${problems.join("', '")}'`);
  }
  const queryLanguage: QueryLanguage = root.QueryLanguage === 'JSONata' ? 'JSONata' : 'JSONPath';
  const containers = new Map<string, Container>();
  indexContainer(root, ROOT, queryLanguage, containers);
  const timeout = root.TimeoutSeconds;
  const definition: Definition = {
    hash,
    text,
    root,
    queryLanguage,
    timeoutSeconds: typeof timeout === 'number' ? timeout : undefined,
    containers,
  };
  checkQueryLanguages(definition);
  if (cache.size > 500) cache.clear();
  cache.set(hash, definition);
  return definition;
};

const indexContainer = (
  node: JsonObject,
  key: string,
  language: QueryLanguage,
  out: Map<string, Container>,
): void => {
  const startAt = node.StartAt;
  const states = node.States;
  if (typeof startAt !== 'string' || !isObject(states)) {
    throw new InvalidDefinitionError(`Invalid State Machine Definition: '${key}' needs StartAt and States`);
  }
  const raw: Record<string, JsonObject> = {};
  const byName: Record<string, State> = {};
  for (const [name, state] of Object.entries(states)) {
    if (!isObject(state))
      throw new InvalidDefinitionError(`Invalid State Machine Definition: state '${name}' is not an object`);
    raw[name] = state;
    byName[name] = parseState(name, state, language);
    if (state.Type === 'Parallel' && Array.isArray(state.Branches)) {
      state.Branches.forEach((branch, i) => {
        if (isObject(branch)) indexContainer(branch, branchKey(key, name, i), language, out);
      });
    }
    if (state.Type === 'Map') {
      const processor = isObject(state.ItemProcessor) ? state.ItemProcessor : state.Iterator;
      if (isObject(processor)) indexContainer(processor, mapKey(key, name), language, out);
    }
  }
  out.set(key, { key, startAt, states: byName, raw });
};

const JSONPATH_ONLY = ['InputPath', 'Parameters', 'ResultSelector', 'ResultPath', 'OutputPath', 'ItemsPath'];
const JSONATA_ONLY = ['Arguments', 'Output', 'Items'];

/** A state uses the fields of its query language only, as Step Functions requires. */
const checkQueryLanguages = (definition: Definition): void => {
  for (const container of definition.containers.values()) {
    for (const [name, state] of Object.entries(container.raw)) {
      const lang = stateLanguage(definition, state);
      if (definition.queryLanguage === 'JSONata' && state.QueryLanguage === 'JSONPath') {
        throw new InvalidDefinitionError(
          `Invalid State Machine Definition: state '${name}' cannot use JSONPath when the state machine uses JSONata`,
        );
      }
      const forbidden = lang === 'JSONata' ? JSONPATH_ONLY : JSONATA_ONLY;
      for (const field of forbidden) {
        if (field in state) {
          throw new InvalidDefinitionError(
            `Invalid State Machine Definition: state '${name}' uses ${lang} and cannot have the field '${field}'`,
          );
        }
      }
    }
  }
};

const stateLanguage = (definition: Definition, state: JsonObject): QueryLanguage =>
  state.QueryLanguage === 'JSONata' || state.QueryLanguage === 'JSONPath'
    ? state.QueryLanguage
    : definition.queryLanguage;

export const containerOf = (definition: Definition, key: string): Container => {
  const c = definition.containers.get(key);
  if (!c) throw new Error(`no states container '${key}' in the definition`);
  return c;
};

export const stateOf = (definition: Definition, key: string, name: string): State => {
  const s = containerOf(definition, key).states[name];
  if (!s) throw new Error(`no state '${name}' in '${key}'`);
  return s;
};
