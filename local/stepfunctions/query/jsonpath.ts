import { evaluateRule, parseTimestamp } from '../choice.ts';
import { StatesError } from '../errors.ts';
import { isObject, type Json, type JsonObject } from '../json.ts';
import { selectPath, setPath } from '../jsonpath.ts';
import type { Execution, Frame } from '../model.ts';
import { applyTemplate, type Scope } from '../payload.ts';
import type { State, TaskState } from '../states/types.ts';
import { contextObject, scopeOf } from './context.ts';
import { checkItems, checkSeconds, type QueryLanguage, type SecondsField } from './language.ts';

/**
 * JSONPath: InputPath, then Parameters (a payload template), then the result through ResultSelector,
 * ResultPath and OutputPath; Assign is a payload template over the selected result.
 */

const path = (exec: Execution, frame: Frame, p: Json | undefined, value: Json, field: string): Json => {
  if (p === undefined) return value;
  if (p === null) return {};
  if (typeof p !== 'string') throw new StatesError('States.Runtime', `${field} must be a path`);
  return selectPath(p, value, contextObject(exec, frame), `${field} of state '${frame.state}'`);
};

const outputPath = (exec: Execution, frame: Frame, state: State, value: Json): Json =>
  path(exec, frame, state.io.outputPath, value, 'OutputPath');

/** ResultPath (into the raw input) then OutputPath. */
const placeResult = (exec: Execution, frame: Frame, state: State, result: Json): Json => {
  const rp = state.io.resultPath !== undefined ? state.io.resultPath : '$';
  let combined: Json;
  if (rp === null) combined = frame.input;
  else if (typeof rp === 'string') combined = setPath(frame.input, rp, result);
  else throw new StatesError('States.Runtime', 'ResultPath must be a path');
  return outputPath(exec, frame, state, combined);
};

const assign = (
  exec: Execution,
  frame: Frame,
  template: Json | undefined,
  data: Json,
): JsonObject | undefined => {
  if (template === undefined) return undefined;
  const where = `Assign of state '${frame.state}'`;
  const value = applyTemplate(template, data, scopeOf(exec, frame), where);
  if (!isObject(value)) throw new StatesError('States.Runtime', `${where} must be an object`);
  return value;
};

const pathOrIntrinsic = (p: string, data: Json, scope: Scope, field: string): Json => {
  const v = applyTemplate({ 'v.$': p }, data, scope, field);
  return isObject(v) ? (v.v ?? null) : null;
};

const input = (exec: Execution, frame: Frame, state: State): Json =>
  path(exec, frame, state.io.inputPath, frame.input, 'InputPath');

/** Methods take their parameter types from QueryLanguage. */
export const JSONPATH_LANGUAGE: QueryLanguage = {
  name: 'JSONPath',

  input,

  async arguments(exec, frame, state, effective, context) {
    const template = state.io.parameters;
    if (template === undefined) return effective;
    return applyTemplate(
      template,
      effective,
      scopeOf(exec, frame, context),
      `Parameters of state '${frame.state}'`,
    );
  },

  async passOn(exec, frame, state, effective, fields) {
    const assigned = assign(exec, frame, fields ? fields.assign : state.io.assign, effective);
    return { output: outputPath(exec, frame, state, effective), assigned };
  },

  async pass(exec, frame, state) {
    const params = await this.arguments(exec, frame, state, input(exec, frame, state));
    const result = state.result !== undefined ? state.result : params;
    const assigned = assign(exec, frame, state.io.assign, result);
    return { output: placeResult(exec, frame, state, result), assigned };
  },

  async result(exec, frame, state, result) {
    const selector = state.io.resultSelector;
    const selected =
      selector === undefined
        ? result
        : applyTemplate(selector, result, scopeOf(exec, frame), `ResultSelector of state '${frame.state}'`);
    const assigned = assign(exec, frame, state.io.assign, selected);
    return { output: placeResult(exec, frame, state, selected), assigned };
  },

  async caught(exec, frame, catcher, errorOutput) {
    const assigned = assign(exec, frame, catcher.assign, errorOutput);
    const rp = catcher.resultPath !== undefined ? catcher.resultPath : '$';
    const output =
      rp === null ? frame.input : setPath(frame.input, typeof rp === 'string' ? rp : '$', errorOutput);
    return { output, assigned };
  },

  async choose(exec, frame, state, effective) {
    for (const rule of state.choices) if (evaluateRule(rule, effective, scopeOf(exec, frame))) return rule;
    return undefined;
  },

  async waitUntil(exec, frame, state, now) {
    const effective = input(exec, frame, state);
    const scope = scopeOf(exec, frame);
    if (typeof state.seconds === 'number') return now() + state.seconds * 1000;
    if (typeof state.timestamp === 'string') return parseTimestamp(state.timestamp) ?? now();
    if (typeof state.secondsPath === 'string') {
      const p = state.secondsPath;
      const s = selectPath(p, effective, scope.context, `SecondsPath of state '${frame.state}'`);
      if (typeof s !== 'number' || s < 0 || !Number.isInteger(s))
        throw new StatesError(
          'States.Runtime',
          `Wait state '${frame.state}': SecondsPath '${p}' must select a non-negative integer, got ${JSON.stringify(s)}`,
        );
      return now() + s * 1000;
    }
    if (typeof state.timestampPath === 'string') {
      const p = state.timestampPath;
      const t = selectPath(p, effective, scope.context, `TimestampPath of state '${frame.state}'`);
      const at = parseTimestamp(t);
      if (at === undefined)
        throw new StatesError(
          'States.Runtime',
          `Wait state '${frame.state}': TimestampPath '${p}' must select an ISO-8601 timestamp, got ${JSON.stringify(t)}`,
        );
      return at;
    }
    throw new StatesError(
      'States.Runtime',
      `Wait state '${frame.state}' needs Seconds, Timestamp, SecondsPath or TimestampPath`,
    );
  },

  async failure(exec, frame, state) {
    const scope = scopeOf(exec, frame);
    const error =
      typeof state.errorPath === 'string'
        ? pathOrIntrinsic(state.errorPath, frame.input, scope, 'ErrorPath')
        : (state.error ?? null);
    const cause =
      typeof state.causePath === 'string'
        ? pathOrIntrinsic(state.causePath, frame.input, scope, 'CausePath')
        : (state.cause ?? null);
    return { error, cause };
  },

  async seconds(exec, frame, state, field) {
    return checkSeconds(secondsValue(exec, frame, state, field), field, frame, 'States.Runtime');
  },

  async items(exec, frame, state, effective) {
    const value =
      typeof state.itemsPath === 'string'
        ? selectPath(
            state.itemsPath,
            effective,
            contextObject(exec, frame),
            `ItemsPath of state '${frame.state}'`,
          )
        : effective;
    return checkItems(value, frame, 'States.Runtime');
  },

  async itemInput(exec, parent, state, item, index) {
    if (state.itemSelector === undefined) return item;
    const mapContext: JsonObject = { Map: { Item: { Index: index, Value: item } } };
    return applyTemplate(
      state.itemSelector,
      input(exec, parent, state),
      scopeOf(exec, parent, mapContext),
      `ItemSelector of state '${parent.state}'`,
    );
  },
};

/** A literal TimeoutSeconds/HeartbeatSeconds, or its Path form selected from the raw input. */
export const secondsValue = (
  exec: Execution,
  frame: Frame,
  state: TaskState,
  field: SecondsField,
): Json | undefined => {
  const literal = field === 'TimeoutSeconds' ? state.timeoutSeconds : state.heartbeatSeconds;
  const p = field === 'TimeoutSeconds' ? state.timeoutSecondsPath : state.heartbeatSecondsPath;
  if (typeof literal === 'number') return literal;
  if (typeof p === 'string')
    return selectPath(p, frame.input, contextObject(exec, frame), `${field}Path of state '${frame.state}'`);
  return undefined;
};
