import type { StateRunner, SucceedState } from './types.ts';

/** Succeed: ends its frame (the execution, a branch or an iteration) with its output. */
export const runSucceed: StateRunner<SucceedState> = async (it, exec, frame, state) => {
  const phase = frame.phase;
  const shaped = await state.language.passOn(exec, frame, state, state.language.input(exec, frame, state));
  it.transition(exec, frame, phase, state, shaped);
};
