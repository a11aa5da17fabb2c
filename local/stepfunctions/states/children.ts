import { StatesError } from '../errors.ts';
import type { Interpreter } from '../interpreter.ts';
import type { Json } from '../json.ts';
import type { Execution, Frame, Phase } from '../model.ts';
import { iterationEnded, startIterations } from './map.ts';
import { branchEnded, startBranches } from './parallel.ts';
import type { ContainerState } from './types.ts';

/**
 * What Parallel and Map share: a frame's children (branches or iterations) are started, counted as
 * they end, aborted when one fails the state, and their outputs gathered into the state's result.
 */

export type ChildrenPhase = Extract<Phase, { kind: 'children' }>;

const containerOf = (it: Interpreter, exec: Execution, frame: Frame): ContainerState => {
  const state = it.stateOf(exec, frame);
  if (state.type !== 'Parallel' && state.type !== 'Map')
    throw new Error(`state '${frame.state}' has no children`);
  return state;
};

/** Enters the children phase with one child per item, recording `<Type>StateStarted`. */
export const startChildren = (
  it: Interpreter,
  exec: Execution,
  frame: Frame,
  state: ContainerState,
  items: Json[],
): void => {
  dropChildren(it, exec, frame);
  frame.phase = { kind: 'children', items, started: 0, done: 0, failed: 0 };
  if (state.type === 'Parallel') it.rt.emit(exec, frame, 'ParallelStateStarted', {});
  else it.rt.emit(exec, frame, 'MapStateStarted', { mapStateStartedEventDetails: { length: items.length } });
  it.rt.saveFrame(exec, frame);
  afterChildChange(it, exec, frame);
};

/** Starts pending children and completes the state when every child is done. */
export const afterChildChange = (it: Interpreter, exec: Execution, frame: Frame): void => {
  const phase = frame.phase;
  if (phase.kind !== 'children' || frame.status !== 'running' || exec.record.status !== 'RUNNING') return;
  const state = containerOf(it, exec, frame);
  if (state.type === 'Parallel') startBranches(it, exec, frame, phase);
  else if (!startIterations(it, exec, frame, state, phase)) return;
  it.rt.saveFrame(exec, frame);
  if (phase.done + phase.failed >= phase.items.length && phase.started >= phase.items.length) {
    void it.guard(exec, frame, () => completeChildren(it, exec, frame, phase));
  }
};

/** A child frame ended (succeeded or failed): its Parallel or Map parent goes on, or fails. */
export const childEnded = (it: Interpreter, exec: Execution, child: Frame): void => {
  const parent = child.parent ? exec.frames.get(child.parent) : undefined;
  if (parent?.phase.kind !== 'children' || parent.status !== 'running') return;
  const phase = parent.phase;
  const state = containerOf(it, exec, parent);
  const failure =
    state.type === 'Parallel'
      ? branchEnded(phase, child)
      : iterationEnded(it, exec, parent, state, phase, child);
  if (failure === undefined) {
    afterChildChange(it, exec, parent);
    return;
  }
  abortChildren(it, exec, parent, state);
  it.rt.emit(exec, parent, `${state.type}StateFailed`, {});
  it.rt.saveFrame(exec, parent);
  void it.guard(exec, parent, () => it.handleError(exec, parent, failure));
};

const completeChildren = async (
  it: Interpreter,
  exec: Execution,
  frame: Frame,
  phase: ChildrenPhase,
): Promise<void> => {
  if (frame.phase !== phase) return;
  const state = containerOf(it, exec, frame);
  const children = frame.children.map((id) => exec.frames.get(id)).filter((f): f is Frame => f !== undefined);
  children.sort((a, b) => a.index - b.index);
  const results: Json[] = children.map((c) =>
    c.status === 'succeeded' ? (c.output ?? null) : { Error: c.error ?? '', Cause: c.cause ?? '' },
  );
  it.rt.emit(exec, frame, `${state.type}StateSucceeded`, {});
  it.rt.saveFrame(exec, frame);
  const shaped = await state.language.result(exec, frame, state, results);
  if (frame.phase !== phase) return;
  dropChildren(it, exec, frame);
  it.transition(exec, frame, phase, state, shaped);
};

/** Deletes a frame's children and their descendants (a retry or a Catch starts the state over). */
export const dropChildren = (it: Interpreter, exec: Execution, frame: Frame): void => {
  for (const id of frame.children) {
    const child = exec.frames.get(id);
    if (child) {
      dropChildren(it, exec, child);
      it.rt.release(exec, child);
      child.status = 'aborted';
    }
    it.rt.deleteFrame(exec, id);
  }
  frame.children = [];
};

const abortChildren = (it: Interpreter, exec: Execution, frame: Frame, state: ContainerState): void => {
  for (const id of frame.children) {
    const child = exec.frames.get(id);
    if (child?.status !== 'running') continue;
    it.abortFrame(exec, child);
    if (state.type === 'Map')
      it.rt.emit(exec, frame, 'MapIterationAborted', {
        mapIterationAbortedEventDetails: { name: frame.state, index: child.index },
      });
  }
};

/** The error a failed branch hands its Parallel state. */
export const childFailure = (child: Frame): StatesError =>
  new StatesError(child.error ?? 'States.BranchFailed', child.cause ?? '');
