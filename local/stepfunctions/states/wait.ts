import type { Interpreter } from '../interpreter.ts';
import type { Execution, Frame } from '../model.ts';
import type { StateRunner, WaitState } from './types.ts';

/** Wait: holds the frame until a time on the shared clock, then hands its input on. */
export const runWait: StateRunner<WaitState> = async (it, exec, frame, state) => {
  const phase = frame.phase;
  const until = await state.language.waitUntil(exec, frame, state, () => it.rt.clock.now());
  if (frame.phase !== phase) return;
  frame.phase = { kind: 'wait', until };
  it.rt.saveFrame(exec, frame);
  armWait(it, exec, frame);
};

/** Arms the timer of a frame in its wait phase (also after a restart). */
export const armWait = (it: Interpreter, exec: Execution, frame: Frame): void => {
  const phase = frame.phase;
  if (phase.kind !== 'wait') return;
  it.rt.addFrameTimer(exec, frame, phase.until, () => {
    if (frame.phase !== phase) return;
    it.rt.clearFrameTimers(exec, frame);
    frame.phase = { kind: 'running' };
    void it.guard(exec, frame, () => finishWait(it, exec, frame));
  });
};

const finishWait = async (it: Interpreter, exec: Execution, frame: Frame): Promise<void> => {
  const phase = frame.phase;
  const state = it.stateOf(exec, frame);
  const shaped = await state.language.passOn(exec, frame, state, state.language.input(exec, frame, state));
  it.transition(exec, frame, phase, state, shaped);
};
