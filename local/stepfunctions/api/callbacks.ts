import { apiError } from '../errors.ts';
import type { Interpreter } from '../interpreter.ts';
import { type Json, type JsonObject, parseJson } from '../json.ts';
import { overPayloadLimit, PAYLOAD_LIMIT } from '../limits.ts';
import type { Execution, Frame, Phase } from '../model.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { decodeToken, taskFailed, taskHeartbeat, taskSucceeded } from '../states/task.ts';

/** The callback operations: SendTaskSuccess, SendTaskFailure and SendTaskHeartbeat, by task token. */

const locateToken = (
  rt: Runtime,
  tokenValue: Json | undefined,
): {
  exec: Execution;
  frame: Frame;
  phase: Extract<Phase, { kind: 'task' }>;
} => {
  if (typeof tokenValue !== 'string' || tokenValue.length < 1 || tokenValue.length > 2048) {
    throw apiError('InvalidToken', 'Invalid Token: the task token must be 1 to 2048 characters');
  }
  const decoded = decodeToken(tokenValue);
  if (!decoded)
    throw apiError('InvalidToken', `Invalid Token: '${tokenValue.slice(0, 64)}' is not a task token`);
  const at = rt.tokens.get(tokenValue);
  const exec = at ? rt.executions.get(at.arn) : undefined;
  const frame = at ? exec?.frames.get(at.frame) : undefined;
  if (
    !exec ||
    !frame ||
    frame.phase.kind !== 'task' ||
    frame.phase.token !== tokenValue ||
    exec.record.status !== 'RUNNING'
  ) {
    if (!rt.executions.has(decoded.arn))
      throw apiError(
        'TaskDoesNotExist',
        'Task Does Not Exist: the execution that issued this token does not exist',
      );
    throw apiError('TaskTimedOut', 'Task Timed Out: Provided task does not exist anymore');
  }
  return { exec, frame, phase: frame.phase };
};

export const sendTaskSuccess = async (it: Interpreter, input: JsonObject): Promise<JsonObject> => {
  const output = input.output;
  if (typeof output !== 'string') throw apiError('ValidationException', 'output is required');
  if (overPayloadLimit(output))
    throw apiError('InvalidOutput', `Invalid Output: larger than ${PAYLOAD_LIMIT} bytes`);
  let result: Json;
  try {
    result = parseJson(output);
  } catch (error) {
    throw apiError('InvalidOutput', `Invalid Output: ${String(error)}`, { cause: error });
  }
  const { exec, frame, phase } = locateToken(it.rt, input.taskToken);
  taskSucceeded(it, exec, frame, phase, output, result);
  await it.rt.store.flush();
  return {};
};

export const sendTaskFailure = async (it: Interpreter, input: JsonObject): Promise<JsonObject> => {
  const error = input.error === undefined ? '' : input.error;
  const cause = input.cause === undefined ? '' : input.cause;
  if (typeof error !== 'string' || error.length > 256)
    throw apiError('ValidationException', 'error must be a string of at most 256 characters');
  if (typeof cause !== 'string' || cause.length > 32768)
    throw apiError('ValidationException', 'cause must be a string of at most 32768 characters');
  const { exec, frame, phase } = locateToken(it.rt, input.taskToken);
  taskFailed(it, exec, frame, phase, error, cause);
  await it.rt.store.flush();
  return {};
};

export const sendTaskHeartbeat = async (it: Interpreter, input: JsonObject): Promise<JsonObject> => {
  const { exec, frame, phase } = locateToken(it.rt, input.taskToken);
  taskHeartbeat(it, exec, frame, phase);
  await it.rt.store.flush();
  return {};
};
