import { branchKey } from '../definition.ts';
import type { StatesError } from '../errors.ts';
import type { Interpreter } from '../interpreter.ts';
import type { Execution, Frame } from '../model.ts';
import { type ChildrenPhase, childFailure, startChildren } from './children.ts';
import type { ParallelState, StateRunner } from './types.ts';

/** Parallel: every branch runs on the state's input (or Parameters/Arguments); the first failure fails it. */
export const runParallel: StateRunner<ParallelState> = async (it, exec, frame, state) => {
  const phase = frame.phase;
  const lang = state.language;
  const branchInput = await lang.arguments(exec, frame, state, lang.input(exec, frame, state));
  const items = Array.from({ length: state.branches }, () => branchInput);
  if (frame.phase !== phase) return;
  startChildren(it, exec, frame, state, items);
};

/** Starts every branch not yet started, each in the scope of the Parallel state's variables. */
export const startBranches = (it: Interpreter, exec: Execution, frame: Frame, phase: ChildrenPhase): void => {
  while (phase.started < phase.items.length) {
    const i = phase.started++;
    const child = it.rt.newFrame(
      exec,
      frame,
      branchKey(frame.container, frame.state, i),
      i,
      phase.items[i] ?? null,
      {
        ...frame.outer,
        ...frame.variables,
      },
    );
    frame.children.push(child.id);
    it.schedule(exec, child);
  }
};

/** Counts a branch that ended; a failed one is the Parallel state's error. */
export const branchEnded = (phase: ChildrenPhase, child: Frame): StatesError | undefined => {
  if (child.status === 'succeeded') {
    phase.done++;
    return undefined;
  }
  phase.failed++;
  return childFailure(child);
};
