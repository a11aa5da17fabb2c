import type { Interpreter } from '../interpreter.ts';
import type { Execution, Frame } from '../model.ts';
import { afterChildChange } from '../states/children.ts';
import { recoverTask } from '../states/task.ts';
import { armWait } from '../states/wait.ts';

/** Picking executions up again: after a restart (every running frame) and at a redrive (what did not succeed). */

/** Re-arms what a running execution was waiting for when the process stopped. */
export const recover = (it: Interpreter, exec: Execution): void => {
  it.armExecutionTimeout(exec);
  for (const frame of exec.frames.values()) {
    if (frame.status !== 'running') continue;
    const phase = frame.phase;
    switch (phase.kind) {
      case 'enter':
      case 'select':
      case 'result':
        it.schedule(exec, frame);
        break;
      case 'running':
        // Interrupted while computing the state: compute it again from its input.
        setImmediate(() => void it.guard(exec, frame, () => it.execute(exec, frame)));
        break;
      case 'wait':
        armWait(it, exec, frame);
        break;
      case 'retry':
        it.armRetry(exec, frame);
        break;
      case 'task':
        recoverTask(it, exec, frame, phase);
        break;
      case 'children':
        setImmediate(() => afterChildChange(it, exec, frame));
        break;
    }
  }
};

/** Sets a frame that did not succeed running again: only the failed or aborted branches and iterations. */
export const resumeForRedrive = (it: Interpreter, exec: Execution, frame: Frame): void => {
  if (frame.status === 'succeeded') return;
  frame.status = 'running';
  frame.retries = [];
  delete frame.error;
  delete frame.cause;
  const phase = frame.phase;
  if (phase.kind === 'children') {
    const children = frame.children
      .map((id) => exec.frames.get(id))
      .filter((f): f is Frame => f !== undefined);
    phase.done = children.filter((c) => c.status === 'succeeded').length;
    phase.failed = 0;
    it.rt.saveFrame(exec, frame);
    for (const child of children) resumeForRedrive(it, exec, child);
    afterChildChange(it, exec, frame);
  } else {
    frame.phase = { kind: 'enter' };
    it.rt.saveFrame(exec, frame);
    it.schedule(exec, frame);
  }
};
