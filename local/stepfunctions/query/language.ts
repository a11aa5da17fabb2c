import { StatesError } from '../errors.ts';
import type { Json, JsonObject } from '../json.ts';
import type { Execution, Frame } from '../model.ts';
import type {
  Catcher,
  ChoiceState,
  FailState,
  MapState,
  PassState,
  State,
  TaskState,
  WaitState,
} from '../states/types.ts';

/**
 * A query language (JSONPath or JSONata) as the object that shapes a state's input and output, so
 * the state runners never ask which one a state uses. Every method computes from the frame's
 * current input; none changes the frame.
 */

/** What a state hands on: its output, and the variables it assigns (undefined: no Assign). */
export interface Shaped {
  readonly output: Json;
  readonly assigned: JsonObject | undefined;
}

/** The fields a Choice takes from its matched rule (or the state): Output and Assign. */
export interface OutputFields {
  readonly output: Json | undefined;
  readonly assign: Json | undefined;
}

/** The Task fields that hold a number of seconds. */
export type SecondsField = 'TimeoutSeconds' | 'HeartbeatSeconds';

export interface QueryLanguage {
  readonly name: 'JSONPath' | 'JSONata';
  /** The input a state's fields see: InputPath applied (JSONPath), the raw input (JSONata). */
  input(exec: Execution, frame: Frame, state: State): Json;
  /** Parameters over the effective input (JSONPath) or Arguments (JSONata); the effective input when absent. */
  arguments(
    exec: Execution,
    frame: Frame,
    state: State,
    effective: Json,
    context?: JsonObject,
  ): Promise<Json>;
  /** Output and variables of a state that hands its input on (Succeed, Wait, Choice). */
  passOn(
    exec: Execution,
    frame: Frame,
    state: State,
    effective: Json,
    fields?: OutputFields,
  ): Promise<Shaped>;
  /** Output and variables of a Pass state: its Result or Parameters placed by ResultPath, or its Output. */
  pass(exec: Execution, frame: Frame, state: PassState): Promise<Shaped>;
  /** Output and variables of a state that produced a result (Task, Parallel, Map). */
  result(exec: Execution, frame: Frame, state: State, result: Json): Promise<Shaped>;
  /** Output and variables of a Catch that took an error. */
  caught(exec: Execution, frame: Frame, catcher: Catcher, errorOutput: JsonObject): Promise<Shaped>;
  /** The first Choice rule that matches, if any. */
  choose(exec: Execution, frame: Frame, state: ChoiceState, effective: Json): Promise<JsonObject | undefined>;
  /** When a Wait state ends, in epoch milliseconds on the engine's clock. */
  waitUntil(exec: Execution, frame: Frame, state: WaitState, now: () => number): Promise<number>;
  /** A Fail state's error and cause (anything but a string becomes empty). */
  failure(exec: Execution, frame: Frame, state: FailState): Promise<{ error: Json; cause: Json }>;
  /** A Task's TimeoutSeconds or HeartbeatSeconds (or their Path forms), undefined when absent. */
  seconds(exec: Execution, frame: Frame, state: TaskState, field: SecondsField): Promise<number | undefined>;
  /** The items a Map state iterates over. */
  items(exec: Execution, frame: Frame, state: MapState, effective: Json): Promise<Json[]>;
  /** One Map iteration's input (ItemSelector), computed in the Map state's frame. */
  itemInput(exec: Execution, parent: Frame, state: MapState, item: Json, index: number): Promise<Json>;
}

/** A Task's TimeoutSeconds or HeartbeatSeconds must be a positive integer. */
export const checkSeconds = (
  v: Json | undefined,
  field: string,
  frame: Frame,
  errorName: string,
): number | undefined => {
  if (v === undefined) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
    throw new StatesError(
      errorName,
      `${field} of state '${frame.state}' must be a positive integer, got ${JSON.stringify(v)}`,
    );
  }
  return v;
};

/** A Map state's items must be an array. */
export const checkItems = (value: Json, frame: Frame, errorName: string): Json[] => {
  if (!Array.isArray(value)) {
    throw new StatesError(
      errorName,
      `Map state '${frame.state}': the items must be a JSON array, got ${JSON.stringify(value).slice(0, 200)}`,
    );
  }
  return value;
};
