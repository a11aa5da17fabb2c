import { randomBytes } from 'node:crypto';
import { StatesError } from '../errors.ts';
import { callTask, type ParsedResource } from '../integrations.ts';
import { type Interpreter, toStatesError } from '../interpreter.ts';
import { isObject, type Json, type JsonObject, stringify } from '../json.ts';
import { inputTooLarge, overPayloadLimit, resultTooLarge } from '../limits.ts';
import type { Execution, Frame, Phase } from '../model.ts';
import type { StateRunner, TaskState } from './types.ts';

/**
 * Task: computes the call's parameters, records TaskScheduled (or LambdaFunctionScheduled) and, once
 * that is durable, calls the resource; a callback task waits for its token instead. Timeouts and
 * heartbeats are timers on the shared clock; the result is shaped by the state's query language.
 */

type TaskPhase = Extract<Phase, { kind: 'task' }>;

export const DEFAULT_TASK_TIMEOUT_S = 99_999_999;

const resourceOf = (state: TaskState): ParsedResource => {
  if (state.resource instanceof Error) throw state.resource;
  return state.resource;
};

/** The resource of the Task state a frame stands in. */
export const taskResource = (it: Interpreter, exec: Execution, frame: Frame): ParsedResource => {
  const state = it.stateOf(exec, frame);
  if (state.type !== 'Task') throw new Error(`state '${frame.state}' is not a Task`);
  return resourceOf(state);
};

/** The fields that name a Task's resource in its history events. */
const resourceFields = (resource: ParsedResource): JsonObject => ({
  resourceType: resource.resourceType,
  resource: resource.resource,
});

export const runTask: StateRunner<TaskState> = async (it, exec, frame, state) => {
  const phase = frame.phase;
  const rt = it.rt;
  const lang = state.language;
  const resource = resourceOf(state);
  const timeoutSeconds = (await lang.seconds(exec, frame, state, 'TimeoutSeconds')) ?? DEFAULT_TASK_TIMEOUT_S;
  const heartbeatSeconds = await lang.seconds(exec, frame, state, 'HeartbeatSeconds');
  const token = resource.pattern === 'callback' ? encodeToken(exec.record.arn, frame.id) : undefined;
  const taskContext: JsonObject | undefined = token ? { Task: { Token: token } } : undefined;
  const params = await lang.arguments(exec, frame, state, lang.input(exec, frame, state), taskContext);
  const paramsText = stringify(params);
  if (overPayloadLimit(paramsText)) throw inputTooLarge(frame.state);
  if (frame.phase !== phase) return;
  const now = rt.clock.now();
  const next: TaskPhase = {
    kind: 'task',
    params,
    timeoutAt: now + timeoutSeconds * 1000,
    ...(heartbeatSeconds !== undefined && token
      ? { heartbeatSeconds, heartbeatAt: now + heartbeatSeconds * 1000 }
      : {}),
    ...(token ? { token, submitted: false } : {}),
  };
  frame.phase = next;
  const lambda = resource.kind === 'lambda-function';
  if (lambda) {
    rt.emit(exec, frame, 'LambdaFunctionScheduled', {
      lambdaFunctionScheduledEventDetails: {
        resource: state.resourceArn,
        input: paramsText,
        inputDetails: { truncated: false },
        timeoutInSeconds: timeoutSeconds,
      },
    });
  } else {
    rt.emit(exec, frame, 'TaskScheduled', {
      taskScheduledEventDetails: {
        ...resourceFields(resource),
        region: rt.region,
        parameters: paramsText,
        timeoutInSeconds: timeoutSeconds,
        ...(heartbeatSeconds !== undefined ? { heartbeatInSeconds: heartbeatSeconds } : {}),
      },
    });
  }
  rt.saveFrame(exec, frame);
  if (exec.record.status !== 'RUNNING') return;
  if (token) rt.tokens.set(token, { arn: exec.record.arn, frame: frame.id });
  armTaskTimers(it, exec, frame, next);
  await rt.store.flush();
  if (frame.phase !== next) return;
  rt.emit(
    exec,
    frame,
    lambda ? 'LambdaFunctionStarted' : 'TaskStarted',
    lambda ? {} : { taskStartedEventDetails: resourceFields(resource) },
  );
  rt.saveFrame(exec, frame);
  if (exec.record.status !== 'RUNNING') return;
  await invoke(it, exec, frame, next, resource);
};

/** Calls the task's resource; for a callback task, only delivers the token and keeps waiting. */
const invoke = async (
  it: Interpreter,
  exec: Execution,
  frame: Frame,
  phase: TaskPhase,
  resource: ParsedResource,
): Promise<void> => {
  const rt = it.rt;
  let result: Json;
  let resultText = '';
  try {
    result = await callTask({
      resource,
      arn: resource.resource,
      params: phase.params,
      functions: rt.functions,
      clock: rt.clock,
      integrations: rt.integrationsFor(exec.record.roleArn),
    });
    // What the integration returns is held to the payload quota (a callback's answer is, at SendTaskSuccess).
    if (!phase.token) {
      resultText = stringify(result);
      if (overPayloadLimit(resultText)) throw resultTooLarge(taskName(resource, phase.params));
    }
  } catch (error) {
    if (frame.phase !== phase || exec.record.status !== 'RUNNING') return;
    const se = toStatesError(error);
    closeTask(it, exec, frame, phase);
    if (resource.kind === 'lambda-function') {
      rt.emit(exec, frame, 'LambdaFunctionFailed', {
        lambdaFunctionFailedEventDetails: { error: se.error, cause: se.causeText },
      });
    } else {
      rt.emit(exec, frame, 'TaskFailed', {
        taskFailedEventDetails: {
          ...resourceFields(resource),
          error: se.error,
          cause: se.causeText,
        },
      });
    }
    rt.saveFrame(exec, frame);
    return it.handleError(exec, frame, se);
  }
  if (frame.phase !== phase || exec.record.status !== 'RUNNING') return;
  if (phase.token) {
    phase.submitted = true;
    rt.emit(exec, frame, 'TaskSubmitted', {
      taskSubmittedEventDetails: {
        ...resourceFields(resource),
        output: stringify(result),
        outputDetails: { truncated: false },
      },
    });
    rt.saveFrame(exec, frame);
    return;
  }
  closeTask(it, exec, frame, phase, { kind: 'result', result });
  if (resource.kind === 'lambda-function') {
    rt.emit(exec, frame, 'LambdaFunctionSucceeded', {
      lambdaFunctionSucceededEventDetails: { output: resultText, outputDetails: { truncated: false } },
    });
  } else {
    rt.emit(exec, frame, 'TaskSucceeded', {
      taskSucceededEventDetails: {
        ...resourceFields(resource),
        output: resultText,
        outputDetails: { truncated: false },
      },
    });
  }
  rt.saveFrame(exec, frame);
  return completeTask(it, exec, frame, result);
};

/** Ends the waiting part of a task: its token and timers go; the frame holds the next phase. */
const closeTask = (
  it: Interpreter,
  exec: Execution,
  frame: Frame,
  phase: TaskPhase,
  next: Phase = { kind: 'running' },
): void => {
  if (phase.token) it.rt.tokens.delete(phase.token);
  it.rt.clearFrameTimers(exec, frame);
  frame.phase = next;
};

const armTaskTimers = (it: Interpreter, exec: Execution, frame: Frame, phase: TaskPhase): void => {
  const rt = it.rt;
  rt.clearFrameTimers(exec, frame);
  const fire = (error: 'States.Timeout' | 'States.HeartbeatTimeout') => (): void => {
    if (frame.phase !== phase || exec.record.status !== 'RUNNING') return;
    const resource = taskResource(it, exec, frame);
    const cause =
      error === 'States.Timeout'
        ? 'The task ran longer than its TimeoutSeconds'
        : 'The task sent no heartbeat within its HeartbeatSeconds';
    closeTask(it, exec, frame, phase);
    if (resource.kind === 'lambda-function') {
      rt.emit(exec, frame, 'LambdaFunctionTimedOut', {
        lambdaFunctionTimedOutEventDetails: { error, cause },
      });
    } else {
      rt.emit(exec, frame, 'TaskTimedOut', {
        taskTimedOutEventDetails: {
          ...resourceFields(resource),
          error,
          cause,
        },
      });
    }
    rt.saveFrame(exec, frame);
    void it.guard(exec, frame, () => it.handleError(exec, frame, new StatesError(error, cause)));
  };
  if (phase.timeoutAt !== undefined) rt.addFrameTimer(exec, frame, phase.timeoutAt, fire('States.Timeout'));
  if (phase.heartbeatAt !== undefined)
    rt.addFrameTimer(exec, frame, phase.heartbeatAt, fire('States.HeartbeatTimeout'));
};

/** Shapes a Task's result into its output and moves on. */
export const completeTask = async (
  it: Interpreter,
  exec: Execution,
  frame: Frame,
  result: Json,
): Promise<void> => {
  const phase = frame.phase;
  const state = it.stateOf(exec, frame);
  const shaped = await state.language.result(exec, frame, state, result);
  it.transition(exec, frame, phase, state, shaped);
};

/** After a restart: the token is valid again, the timers re-armed, and a call that may not have happened is made. */
export const recoverTask = (it: Interpreter, exec: Execution, frame: Frame, phase: TaskPhase): void => {
  if (phase.token) it.rt.tokens.set(phase.token, { arn: exec.record.arn, frame: frame.id });
  armTaskTimers(it, exec, frame, phase);
  if (!phase.submitted) {
    // The call may or may not have happened: Step Functions calls tasks at least once.
    const resource = taskResource(it, exec, frame);
    setImmediate(() => void it.guard(exec, frame, () => invoke(it, exec, frame, phase, resource)));
  }
};

// ---------------------------------------------------------------- callbacks (SendTask*)

/** SendTaskSuccess: the waiting task succeeds with `output` (its text) and `result` (its value). */
export const taskSucceeded = (
  it: Interpreter,
  exec: Execution,
  frame: Frame,
  phase: TaskPhase,
  output: string,
  result: Json,
): void => {
  closeTask(it, exec, frame, phase, { kind: 'result', result });
  const res = taskResource(it, exec, frame);
  it.rt.emit(exec, frame, 'TaskSucceeded', {
    taskSucceededEventDetails: {
      resourceType: res.resourceType,
      resource: res.resource,
      output,
      outputDetails: { truncated: false },
    },
  });
  it.rt.saveFrame(exec, frame);
  void it.guard(exec, frame, () => completeTask(it, exec, frame, result));
};

/** SendTaskFailure: the waiting task fails with the caller's error and cause. */
export const taskFailed = (
  it: Interpreter,
  exec: Execution,
  frame: Frame,
  phase: TaskPhase,
  error: string,
  cause: string,
): void => {
  closeTask(it, exec, frame, phase);
  const res = taskResource(it, exec, frame);
  it.rt.emit(exec, frame, 'TaskFailed', {
    taskFailedEventDetails: { resourceType: res.resourceType, resource: res.resource, error, cause },
  });
  it.rt.saveFrame(exec, frame);
  void it.guard(exec, frame, () => it.handleError(exec, frame, new StatesError(error, cause)));
};

/** SendTaskHeartbeat: the heartbeat timer starts over. */
export const taskHeartbeat = (it: Interpreter, exec: Execution, frame: Frame, phase: TaskPhase): void => {
  if (phase.heartbeatSeconds === undefined) return;
  phase.heartbeatAt = it.rt.clock.now() + phase.heartbeatSeconds * 1000;
  it.rt.saveFrame(exec, frame);
  armTaskTimers(it, exec, frame, phase);
};

/** How a task over the payload quota is named in the error: its function, its SDK service, or its resource. */
const taskName = (resource: ParsedResource, params: Json): string => {
  switch (resource.kind) {
    case 'lambda-function':
      return resource.resource;
    case 'lambda-invoke':
      return isObject(params) && typeof params.FunctionName === 'string' ? params.FunctionName : 'lambda';
    case 'aws-sdk':
      return resource.resourceType;
    default:
      return `arn:aws:states:::${resource.resourceType}:${resource.resource}`;
  }
};

const encodeToken = (arn: string, frame: string): string =>
  Buffer.from(JSON.stringify({ a: arn, f: frame, n: randomBytes(12).toString('base64url') })).toString(
    'base64url',
  );

/** The execution and frame a task token names, or undefined for a string that is not a token. */
export const decodeToken = (token: string): { arn: string; frame: string } | undefined => {
  if (!/^[A-Za-z0-9_-]+$/.test(token)) return undefined;
  try {
    const v: unknown = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    if (
      typeof v === 'object' &&
      v !== null &&
      'a' in v &&
      'f' in v &&
      typeof v.a === 'string' &&
      typeof v.f === 'string'
    ) {
      return { arn: v.a, frame: v.f };
    }
  } catch {
    return undefined;
  }
  return undefined;
};
