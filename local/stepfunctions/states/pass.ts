import type { Interpreter } from '../interpreter.ts';
import type { Execution, Frame } from '../model.ts';
import type { PassState } from './types.ts';

/** Pass: hands on its Result (or its input, shaped by the query language) and moves on. */
export const runPass = async (
  it: Interpreter,
  exec: Execution,
  frame: Frame,
  state: PassState,
): Promise<void> => {
  const phase = frame.phase;
  const shaped = await state.language.pass(exec, frame, state);
  it.transition(exec, frame, phase, state, shaped);
};
