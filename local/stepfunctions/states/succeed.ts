import type { Interpreter } from '../interpreter.ts';
import type { Execution, Frame } from '../model.ts';
import type { SucceedState } from './types.ts';

/** Succeed: ends its frame (the execution, a branch or an iteration) with its output. */
export const runSucceed = async (
  it: Interpreter,
  exec: Execution,
  frame: Frame,
  state: SucceedState,
): Promise<void> => {
  const phase = frame.phase;
  const shaped = await state.language.passOn(exec, frame, state, state.language.input(exec, frame, state));
  it.transition(exec, frame, phase, state, shaped);
};
