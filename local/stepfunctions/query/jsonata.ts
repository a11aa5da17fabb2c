import { parseTimestamp } from '../choice.ts';
import { StatesError } from '../errors.ts';
import { isObject, type Json, type JsonObject } from '../json.ts';
import type { Execution, Frame } from '../model.ts';
import { evaluateJsonata } from '../payload.ts';
import { scopeOf } from './context.ts';
import { secondsValue } from './jsonpath.ts';
import { checkItems, checkSeconds, type QueryLanguage } from './language.ts';

/**
 * JSONata: `{% %}` expressions in Arguments, Output, Assign and the other fields, evaluated with
 * `$states.input` (the raw input), `.result`, `.errorOutput`, `.context` and the workflow variables.
 */

interface Extra {
  readonly result?: Json;
  readonly errorOutput?: Json;
  readonly context?: JsonObject;
}

const evaluate = (
  exec: Execution,
  frame: Frame,
  field: Json,
  where: string,
  more: Extra = {},
): Promise<Json> => {
  const scope = scopeOf(exec, frame, more.context);
  return evaluateJsonata(
    field,
    {
      input: frame.input,
      context: scope.context,
      ...(more.result !== undefined ? { result: more.result } : {}),
      ...(more.errorOutput !== undefined ? { errorOutput: more.errorOutput } : {}),
    },
    scope.variables,
    `${frame.state}.${where}`,
  );
};

const assign = async (
  exec: Execution,
  frame: Frame,
  field: Json | undefined,
  more: Extra = {},
): Promise<JsonObject | undefined> => {
  if (field === undefined) return undefined;
  const value = await evaluate(exec, frame, field, 'Assign', more);
  if (!isObject(value))
    throw new StatesError('States.Runtime', `Assign of state '${frame.state}' must be an object`);
  return value;
};

/** Methods take their parameter types from QueryLanguage. */
export const JSONATA_LANGUAGE: QueryLanguage = {
  name: 'JSONata',

  input: (_exec, frame) => frame.input,

  arguments(exec, frame, state, effective, context) {
    const field = state.io.arguments;
    if (field === undefined) return Promise.resolve(effective);
    return evaluate(exec, frame, field, 'Arguments', context ? { context } : {});
  },

  async passOn(exec, frame, state, effective, fields) {
    const field = fields ? fields.output : state.io.output;
    const output = field === undefined ? effective : await evaluate(exec, frame, field, 'Output');
    const assigned = await assign(exec, frame, fields ? fields.assign : state.io.assign);
    return { output, assigned };
  },

  pass(exec, frame, state) {
    return this.passOn(exec, frame, state, frame.input);
  },

  async result(exec, frame, state, result) {
    const field = state.io.output;
    const output = field === undefined ? result : await evaluate(exec, frame, field, 'Output', { result });
    const assigned = await assign(exec, frame, state.io.assign, { result });
    return { output, assigned };
  },

  async caught(exec, frame, catcher, errorOutput) {
    const output =
      catcher.output === undefined
        ? errorOutput
        : await evaluate(exec, frame, catcher.output, 'Catch.Output', { errorOutput });
    const assigned = await assign(exec, frame, catcher.assign, { errorOutput });
    return { output, assigned };
  },

  async choose(exec, frame, state) {
    for (const rule of state.choices) {
      const v = await evaluate(exec, frame, rule.Condition ?? null, 'Condition');
      if (typeof v !== 'boolean') {
        throw new StatesError(
          'States.QueryEvaluationError',
          `The Condition of a Choice rule in state '${frame.state}' returned ${JSON.stringify(v)}, not a boolean`,
        );
      }
      if (v) return rule;
    }
    return undefined;
  },

  async waitUntil(exec, frame, state, now) {
    if (state.seconds !== undefined) {
      const s = await evaluate(exec, frame, state.seconds, 'Seconds');
      if (typeof s !== 'number' || s < 0)
        throw new StatesError(
          'States.QueryEvaluationError',
          `Wait state '${frame.state}': Seconds must be a non-negative number, got ${JSON.stringify(s)}`,
        );
      return now() + s * 1000;
    }
    const t = await evaluate(exec, frame, state.timestamp ?? null, 'Timestamp');
    const at = parseTimestamp(t);
    if (at === undefined)
      throw new StatesError(
        'States.QueryEvaluationError',
        `Wait state '${frame.state}': Timestamp ${JSON.stringify(t)} is not an ISO-8601 timestamp`,
      );
    return at;
  },

  async failure(exec, frame, state) {
    const error = state.error !== undefined ? await evaluate(exec, frame, state.error, 'Error') : null;
    const cause = state.cause !== undefined ? await evaluate(exec, frame, state.cause, 'Cause') : null;
    return { error, cause };
  },

  async seconds(exec, frame, state, field) {
    const expression = field === 'TimeoutSeconds' ? state.timeoutSeconds : state.heartbeatSeconds;
    const v =
      expression !== undefined
        ? await evaluate(exec, frame, expression, field)
        : secondsValue(exec, frame, state, field);
    return checkSeconds(v, field, frame, 'States.QueryEvaluationError');
  },

  async items(exec, frame, state) {
    const value = state.items !== undefined ? await evaluate(exec, frame, state.items, 'Items') : frame.input;
    return checkItems(value, frame, 'States.QueryEvaluationError');
  },

  async itemInput(exec, parent, state, item, index) {
    if (state.itemSelector === undefined) return item;
    const context: JsonObject = { Map: { Item: { Index: index, Value: item } } };
    return evaluate(exec, parent, state.itemSelector, 'ItemSelector', { context });
  },
};
