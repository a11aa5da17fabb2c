import { mapKey } from '../definition.ts';
import { StatesError } from '../errors.ts';
import { type Interpreter, toStatesError } from '../interpreter.ts';
import type { Json } from '../json.ts';
import { selectPath } from '../jsonpath.ts';
import type { Execution, Frame, Phase } from '../model.ts';
import { contextObject } from '../query/context.ts';
import { type ChildrenPhase, childFailure, startChildren } from './children.ts';
import type { MapState, StateRunner } from './types.ts';

/**
 * Map (inline): one iteration per item, at most MaxConcurrency at a time, each with its input from
 * ItemSelector; failures up to ToleratedFailureCount/Percentage are tolerated.
 */
export const runMap: StateRunner<MapState> = async (it, exec, frame, state) => {
  const phase = frame.phase;
  const lang = state.language;
  const items = await lang.items(exec, frame, state, lang.input(exec, frame, state));
  if (frame.phase !== phase) return;
  startChildren(it, exec, frame, state, items);
};

const maxConcurrency = (exec: Execution, frame: Frame, state: MapState): number => {
  let v: Json | undefined = state.maxConcurrency;
  if (typeof state.maxConcurrencyPath === 'string') {
    v = selectPath(
      state.maxConcurrencyPath,
      frame.input,
      contextObject(exec, frame),
      `MaxConcurrencyPath of state '${frame.state}'`,
    );
  }
  return typeof v === 'number' && v > 0 ? v : Number.POSITIVE_INFINITY;
};

/** Starts iterations up to MaxConcurrency; false when the limit could not be read (the state failed). */
export const startIterations = (
  it: Interpreter,
  exec: Execution,
  frame: Frame,
  state: MapState,
  phase: ChildrenPhase,
): boolean => {
  let limit: number;
  try {
    limit = maxConcurrency(exec, frame, state);
  } catch (error) {
    void it.guard(exec, frame, () => Promise.reject(error));
    return false;
  }
  let free = limit - (phase.started - phase.done - phase.failed);
  while (free > 0 && phase.started < phase.items.length) {
    const index = phase.started++;
    free--;
    const item = phase.items[index] ?? null;
    const outer = { ...frame.outer, ...frame.variables };
    const child = it.rt.newFrame(exec, frame, mapKey(frame.container, frame.state), index, item, outer, item);
    child.phase = { kind: 'select' };
    frame.children.push(child.id);
    it.rt.emit(exec, frame, 'MapIterationStarted', {
      mapIterationStartedEventDetails: { name: frame.state, index },
    });
    it.rt.saveFrame(exec, child);
    it.schedule(exec, child);
  }
  return true;
};

/** Computes an iteration's input with the Map state's ItemSelector, in the Map's scope. */
export const selectItem = async (
  it: Interpreter,
  exec: Execution,
  child: Frame,
  phase: Phase,
): Promise<void> => {
  const parent = child.parent ? exec.frames.get(child.parent) : undefined;
  if (!parent) throw new Error(`Map iteration ${child.id} has no parent frame`);
  const state = it.stateOf(exec, parent);
  if (state.type !== 'Map') throw new Error(`Map iteration ${child.id} is not in a Map state`);
  let input: Json;
  try {
    input = await state.language.itemInput(exec, parent, state, child.item ?? null, child.index);
  } catch (error) {
    if (child.phase !== phase) return;
    const se = toStatesError(error);
    it.failFrame(exec, child, se.error, se.causeText);
    return;
  }
  if (child.phase !== phase) return;
  child.input = input;
  child.phase = { kind: 'enter' };
  it.rt.saveFrame(exec, child);
  it.schedule(exec, child);
};

/** Counts an iteration that ended; a failure beyond the tolerated ones is the Map state's error. */
export const iterationEnded = (
  it: Interpreter,
  exec: Execution,
  parent: Frame,
  state: MapState,
  phase: ChildrenPhase,
  child: Frame,
): StatesError | undefined => {
  const details = { name: parent.state, index: child.index };
  if (child.status === 'succeeded') {
    phase.done++;
    it.rt.emit(exec, parent, 'MapIterationSucceeded', { mapIterationSucceededEventDetails: details });
    return undefined;
  }
  phase.failed++;
  it.rt.emit(exec, parent, 'MapIterationFailed', { mapIterationFailedEventDetails: details });
  if (tolerated(state, phase)) return undefined;
  const exceeded =
    state.toleratedFailureCount !== undefined || state.toleratedFailurePercentage !== undefined;
  return exceeded
    ? new StatesError(
        'States.ExceedToleratedFailureThreshold',
        `The number of failed items in Map state '${parent.state}' exceeded the tolerated failure threshold`,
      )
    : childFailure(child);
};

const tolerated = (state: MapState, phase: ChildrenPhase): boolean => {
  const count = state.toleratedFailureCount;
  const pct = state.toleratedFailurePercentage;
  if (typeof count === 'number' && phase.failed <= count) return true;
  if (typeof pct === 'number' && phase.items.length > 0 && (phase.failed * 100) / phase.items.length <= pct)
    return true;
  return false;
};
