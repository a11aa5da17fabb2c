import type { FailState, StateRunner } from './types.ts';

/** Fail: fails its frame with its Error and Cause (anything but a string is empty). */
export const runFail: StateRunner<FailState> = async (it, exec, frame, state) => {
  const phase = frame.phase;
  const { error, cause } = await state.language.failure(exec, frame, state);
  if (frame.phase !== phase) return;
  it.failFrame(exec, frame, typeof error === 'string' ? error : '', typeof cause === 'string' ? cause : '');
};
