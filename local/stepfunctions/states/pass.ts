import type { PassState, StateRunner } from './types.ts';

/** Pass: hands on its Result (or its input, shaped by the query language) and moves on. */
export const runPass: StateRunner<PassState> = async (it, exec, frame, state) => {
  const phase = frame.phase;
  const shaped = await state.language.pass(exec, frame, state);
  it.transition(exec, frame, phase, state, shaped);
};
