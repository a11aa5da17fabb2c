import type { ChoiceState, StateRunner } from './types.ts';

/** Choice: the first matching rule (else Default) names the next state; none is States.NoChoiceMatched. */
export const runChoice: StateRunner<ChoiceState> = async (it, exec, frame, state) => {
  const phase = frame.phase;
  const lang = state.language;
  const effective = lang.input(exec, frame, state);
  const chosen = await lang.choose(exec, frame, state, effective);
  const next = chosen ? chosen.Next : state.default;
  if (typeof next !== 'string') {
    if (frame.phase !== phase) return;
    it.failFrame(exec, frame, 'States.NoChoiceMatched', `No Matches! in state '${frame.state}'`);
    return;
  }
  // A matched rule's own Output and Assign take the place of the state's.
  const shaped = await lang.passOn(exec, frame, state, effective, {
    output: chosen && 'Output' in chosen ? chosen.Output : state.io.output,
    assign: chosen && 'Assign' in chosen ? chosen.Assign : state.io.assign,
  });
  it.transition(exec, frame, phase, state, shaped, next);
};
