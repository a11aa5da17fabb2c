import { stateOf } from './definition.ts';
import { StatesError, TERMINAL_ERRORS } from './errors.ts';
import { isObject, type Json, type JsonObject, stringify } from './json.ts';
import {
  HISTORY_LIMIT_CAUSE,
  HISTORY_LIMIT_ERROR,
  inputTooLarge,
  overPayloadLimit,
  resultTooLarge,
} from './limits.ts';
import type { Execution, Frame, Phase } from './model.ts';
import type { Shaped } from './query/language.ts';
import { errorMatches, maxAttempts, retryDelaySeconds } from './retry.ts';
import type { Runtime } from './runtime/runtime.ts';
import { deliverStatus, statusEvent } from './runtime/status.ts';
import { childEnded, dropChildren } from './states/children.ts';
import { runChoice } from './states/choice.ts';
import { runFail } from './states/fail.ts';
import { runMap, selectItem } from './states/map.ts';
import { runParallel } from './states/parallel.ts';
import { runPass } from './states/pass.ts';
import { runSucceed } from './states/succeed.ts';
import { completeTask, runTask } from './states/task.ts';
import { type State, typeName } from './states/types.ts';
import { runWait } from './states/wait.ts';

/**
 * The interpreter of the Amazon States Language: it moves frames (the top level, Parallel branches,
 * Map iterations) from state to state, hands each state to the runner of its type, applies Retry
 * and Catch, and ends frames and executions. What it keeps lives in the runtime it is given.
 */

export type Ending = 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/** The state types whose stop mid-way the history records (`<Type>StateAborted`). */
const ABORTABLE = new Set(['Task', 'Wait', 'Parallel', 'Map']);

export const toStatesError = (error: unknown): StatesError => {
  if (error instanceof StatesError) return error;
  return new StatesError('States.Runtime', error instanceof Error ? error.message : String(error), {
    cause: error,
  });
};

export class Interpreter {
  constructor(readonly rt: Runtime) {
    rt.historyFull = (exec) =>
      this.finish(exec, 'FAILED', { error: HISTORY_LIMIT_ERROR, cause: HISTORY_LIMIT_CAUSE });
  }

  /** Whether a frame may still act: the engine is open, the execution and the frame run. */
  live(exec: Execution, frame: Frame): boolean {
    return !this.rt.closed && exec.record.status === 'RUNNING' && frame.status === 'running';
  }

  stateOf(exec: Execution, frame: Frame): State {
    return stateOf(exec.definition, frame.container, frame.state);
  }

  /** Runs a frame's pending step on a later turn of the event loop, so group commits interleave. */
  schedule(exec: Execution, frame: Frame): void {
    if (this.rt.closed) return;
    const phase = frame.phase;
    setImmediate(() => {
      if (frame.phase !== phase) return;
      void this.guard(exec, frame, () => this.step(exec, frame));
    });
  }

  /** Runs `fn` for a frame and turns any failure it raises into the state's error. */
  async guard(exec: Execution, frame: Frame, fn: () => Promise<void> | void): Promise<void> {
    if (!this.live(exec, frame)) return;
    try {
      await fn();
    } catch (error) {
      if (!this.live(exec, frame)) return;
      const se = toStatesError(error);
      if (se.error === 'States.QueryEvaluationError') {
        this.rt.emit(exec, frame, 'EvaluationFailed', {
          evaluationFailedEventDetails: {
            state: frame.state,
            error: se.error,
            cause: se.causeText,
            ...(se.location ? { location: se.location } : {}),
          },
        });
      }
      await this.handleError(exec, frame, se).catch((inner: unknown) => {
        this.failFrame(exec, frame, 'States.Runtime', `Internal error: ${String(inner)}`);
      });
    }
  }

  private async step(exec: Execution, frame: Frame): Promise<void> {
    const phase = frame.phase;
    if (phase.kind === 'select') return selectItem(this, exec, frame, phase);
    if (phase.kind === 'result') return completeTask(this, exec, frame, phase.result);
    if (phase.kind === 'enter') {
      const state = this.stateOf(exec, frame);
      const inputText = stringify(frame.input);
      if (overPayloadLimit(inputText)) throw inputTooLarge(frame.state);
      frame.enteredAt = this.rt.clock.now();
      frame.retries = [];
      exec.record.billed++;
      this.rt.emit(exec, frame, `${typeName(state)}StateEntered`, {
        stateEnteredEventDetails: { name: frame.state, input: inputText, inputDetails: { truncated: false } },
      });
      frame.phase = { kind: 'running' };
      this.rt.saveFrame(exec, frame);
      if (exec.record.status !== 'RUNNING') return;
    }
    await this.execute(exec, frame);
  }

  /** Runs the current (already entered) state of a frame with the runner of its type. */
  execute(exec: Execution, frame: Frame): Promise<void> {
    const state = this.stateOf(exec, frame);
    switch (state.type) {
      case 'Pass':
        return runPass(this, exec, frame, state);
      case 'Succeed':
        return runSucceed(this, exec, frame, state);
      case 'Fail':
        return runFail(this, exec, frame, state);
      case 'Choice':
        return runChoice(this, exec, frame, state);
      case 'Wait':
        return runWait(this, exec, frame, state);
      case 'Task':
        return runTask(this, exec, frame, state);
      case 'Parallel':
        return runParallel(this, exec, frame, state);
      case 'Map':
        return runMap(this, exec, frame, state);
      default:
        return Promise.reject(new StatesError('States.Runtime', `Unknown state type '${state.typeName}'`));
    }
  }

  /** Leaves the current state with its output and variables: to the next state, or the frame ends. */
  transition(exec: Execution, frame: Frame, phase: Phase, state: State, shaped: Shaped, next?: string): void {
    if (frame.phase !== phase || frame.status !== 'running' || exec.record.status !== 'RUNNING') return;
    const { output, assigned } = shaped;
    const outputText = stringify(output);
    if (overPayloadLimit(outputText)) {
      const error = resultTooLarge(frame.state);
      this.failFrame(exec, frame, error.error, error.causeText);
      return;
    }
    if (state.type !== 'Fail') {
      const assignedText: JsonObject = {};
      if (assigned) for (const [k, v] of Object.entries(assigned)) assignedText[k] = stringify(v);
      this.rt.emit(exec, frame, `${typeName(state)}StateExited`, {
        stateExitedEventDetails: {
          name: frame.state,
          output: outputText,
          outputDetails: { truncated: false },
          ...(assigned
            ? { assignedVariables: assignedText, assignedVariablesDetails: { truncated: false } }
            : {}),
        },
      });
    }
    if (assigned) Object.assign(frame.variables, assigned);
    const to = next ?? state.next;
    if (to === undefined || state.type === 'Succeed') {
      this.succeedFrame(exec, frame, output);
      return;
    }
    frame.state = to;
    frame.input = output;
    frame.retries = [];
    frame.phase = { kind: 'enter' };
    this.rt.saveFrame(exec, frame);
    this.schedule(exec, frame);
  }

  /** A state failed: its first matching retrier, else its first matching catcher, else the frame fails. */
  async handleError(exec: Execution, frame: Frame, error: StatesError): Promise<void> {
    if (frame.status !== 'running' || exec.record.status !== 'RUNNING') return;
    const state = this.stateOf(exec, frame);
    if (!('retry' in state) || TERMINAL_ERRORS.has(error.error)) {
      this.failFrame(exec, frame, error.error, error.causeText);
      return;
    }
    for (let i = 0; i < state.retry.length; i++) {
      const r = state.retry[i];
      if (!isObject(r) || !errorMatches(r.ErrorEquals, error.error)) continue;
      const used = frame.retries[i] ?? 0;
      // A matching retrier with no attempts left hands the error to Catch, not to a later retrier.
      if (used >= maxAttempts(r)) break;
      frame.retries[i] = used + 1;
      const delay = retryDelaySeconds(r, used);
      if (frame.phase.kind === 'children') dropChildren(this, exec, frame);
      this.rt.clearFrameTimers(exec, frame);
      frame.phase = {
        kind: 'retry',
        until: this.rt.clock.now() + delay * 1000,
        error: error.error,
        cause: error.causeText,
      };
      this.rt.saveFrame(exec, frame);
      this.armRetry(exec, frame);
      return;
    }
    for (const c of state.catch) {
      if (!errorMatches(c.errorEquals, error.error)) continue;
      const errorOutput: JsonObject = { Error: error.error, Cause: error.causeText };
      const phase = frame.phase;
      const shaped = await state.language.caught(exec, frame, c, errorOutput);
      if (frame.phase !== phase) return;
      dropChildren(this, exec, frame);
      this.rt.clearFrameTimers(exec, frame);
      const running: Phase = { kind: 'running' };
      frame.phase = running;
      return this.transition(exec, frame, running, state, shaped, c.next);
    }
    this.failFrame(exec, frame, error.error, error.causeText);
  }

  armRetry(exec: Execution, frame: Frame): void {
    const phase = frame.phase;
    if (phase.kind !== 'retry') return;
    this.rt.addFrameTimer(exec, frame, phase.until, () => {
      if (frame.phase !== phase || exec.record.status !== 'RUNNING') return;
      this.rt.clearFrameTimers(exec, frame);
      exec.record.billed++;
      frame.phase = { kind: 'running' };
      this.rt.saveFrame(exec, frame);
      this.rt.saveHeader(exec);
      void this.guard(exec, frame, () => this.execute(exec, frame));
    });
  }

  // ---------------------------------------------------------------- endings

  succeedFrame(exec: Execution, frame: Frame, output: Json): void {
    frame.status = 'succeeded';
    frame.output = output;
    this.rt.clearFrameTimers(exec, frame);
    this.rt.saveFrame(exec, frame);
    if (!frame.parent) {
      this.finish(exec, 'SUCCEEDED', { output: stringify(output) });
      return;
    }
    childEnded(this, exec, frame);
  }

  failFrame(exec: Execution, frame: Frame, error: string, cause: string): void {
    if (frame.status !== 'running') return;
    frame.status = 'failed';
    frame.error = error;
    frame.cause = cause;
    this.rt.release(exec, frame);
    this.rt.saveFrame(exec, frame);
    if (!frame.parent) {
      this.finish(exec, 'FAILED', { error, cause });
      return;
    }
    childEnded(this, exec, frame);
  }

  /** Marks a running frame and its descendants aborted, keeping where they stood for a redrive. */
  abortFrame(exec: Execution, frame: Frame): void {
    if (frame.status !== 'running') return;
    frame.status = 'aborted';
    this.rt.release(exec, frame);
    for (const id of frame.children) {
      const child = exec.frames.get(id);
      if (child) this.abortFrame(exec, child);
    }
    // A state stopped mid-way says so in the history, as Step Functions does for these types.
    const type = typeName(this.stateOf(exec, frame));
    if (frame.phase.kind !== 'enter' && ABORTABLE.has(type))
      this.rt.emit(exec, frame, `${type}StateAborted`, {});
    this.rt.saveFrame(exec, frame);
  }

  /** Closes an execution: its history event, its header, its timers, then (once durable) its status event. */
  finish(exec: Execution, status: Ending, how: { output?: string; error?: string; cause?: string }): void {
    const r = exec.record;
    if (r.status !== 'RUNNING') return;
    r.status = status;
    r.stopDate = this.rt.clock.now();
    if (how.output !== undefined) r.output = how.output;
    if (how.error !== undefined) r.error = how.error;
    if (how.cause !== undefined) r.cause = how.cause;
    for (const f of exec.frames.values()) this.abortFrame(exec, f);
    this.rt.clearExecutionTimer(exec);
    const [type, detailsKey] = ENDINGS[status];
    const details: JsonObject =
      status === 'SUCCEEDED'
        ? { output: how.output ?? 'null', outputDetails: { truncated: false } }
        : {
            ...(how.error !== undefined ? { error: how.error } : {}),
            ...(how.cause !== undefined ? { cause: how.cause } : {}),
          };
    this.rt.emit(exec, undefined, type, { [detailsKey]: details });
    this.rt.saveHeader(exec);
    // The event is taken now and sent once the end is durable: a redrive accepted in between must not
    // turn this FAILED into a second RUNNING (the outcome recorder would never hear of the failure).
    const event = statusEvent(this.rt, exec);
    // An end that the closing store did not keep is not announced: the restart runs to it again.
    void this.rt.store.flush().then(
      () => deliverStatus(this.rt, event),
      () => undefined,
    );
  }

  /** Arms the machine-level TimeoutSeconds of a running execution. */
  armExecutionTimeout(exec: Execution): void {
    this.rt.setExecutionTimer(exec, exec.record.timeoutAt, () => {
      if (exec.record.status !== 'RUNNING' || this.rt.closed) return;
      this.finish(exec, 'TIMED_OUT', {
        error: 'States.Timeout',
        cause: 'The execution ran longer than the state machine TimeoutSeconds',
      });
    });
  }
}

const ENDINGS: Readonly<Record<Ending, readonly [string, string]>> = {
  SUCCEEDED: ['ExecutionSucceeded', 'executionSucceededEventDetails'],
  FAILED: ['ExecutionFailed', 'executionFailedEventDetails'],
  TIMED_OUT: ['ExecutionTimedOut', 'executionTimedOutEventDetails'],
  ABORTED: ['ExecutionAborted', 'executionAbortedEventDetails'],
};
