import type { Interpreter } from '../interpreter.ts';
import type { Execution, Frame } from '../model.ts';
import type { FailState } from './types.ts';

/** Fail: fails its frame with its Error and Cause (anything but a string is empty). */
export const runFail = async (
  it: Interpreter,
  exec: Execution,
  frame: Frame,
  state: FailState,
): Promise<void> => {
  const phase = frame.phase;
  const { error, cause } = await state.language.failure(exec, frame, state);
  if (frame.phase !== phase) return;
  it.failFrame(exec, frame, typeof error === 'string' ? error : '', typeof cause === 'string' ? cause : '');
};
