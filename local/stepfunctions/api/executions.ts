import { randomUUID } from 'node:crypto';
import { loadDefinition, ROOT } from '../definition.ts';
import { apiError, SfnApiError } from '../errors.ts';
import type { Interpreter } from '../interpreter.ts';
import { type Json, type JsonObject, parseJson } from '../json.ts';
import { overPayloadLimit, PAYLOAD_LIMIT } from '../limits.ts';
import type { Execution, ExecutionRecord } from '../model.ts';
import { checkMachineArn, checkName, executionArn } from '../names.ts';
import { resumeForRedrive } from '../runtime/recovery.ts';
import type { Runtime } from '../runtime/runtime.ts';
import { publishStatus, redriveStatus } from '../runtime/status.ts';
import { executionOf, machineOf, paginate, requireString, secs, wireEvent } from './shared.ts';

/** The execution operations: Start, Describe, List, GetExecutionHistory, Stop, Redrive. */

export const startExecution = async (it: Interpreter, input: JsonObject): Promise<JsonObject> => {
  const rt = it.rt;
  // A start accepted after close would reach the disk half-written and never run: refuse it, as a
  // service that is going away does, so the caller retries against the one that comes back.
  if (rt.closed)
    throw new SfnApiError('ServiceUnavailable', 'the local Step Functions engine is stopping', 503);
  const machine = machineOf(rt, input.stateMachineArn);
  const name = input.name === undefined ? randomUUID() : requireString(input, 'name');
  checkName(name, 'execution');
  const inputText = input.input === undefined ? '{}' : requireString(input, 'input');
  if (overPayloadLimit(inputText)) {
    throw apiError(
      'InvalidExecutionInput',
      `Invalid Execution Input: the input is larger than ${PAYLOAD_LIMIT} bytes`,
    );
  }
  let parsed: Json;
  try {
    parsed = parseJson(inputText);
  } catch (error) {
    throw apiError('InvalidExecutionInput', `Invalid Execution Input: ${String(error)}`, { cause: error });
  }
  const arn = executionArn(rt.region, rt.accountId, machine.name, name);
  const existing = rt.executions.get(arn);
  if (existing) {
    // Standard workflows: the same name and input while running returns the original answer.
    if (existing.record.status === 'RUNNING' && existing.record.input === inputText) {
      return { executionArn: arn, startDate: secs(existing.record.startDate) };
    }
    throw apiError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
  }
  const text = rt.definitionTexts.get(machine.definitionHash);
  if (text === undefined) throw new Error(`definition ${machine.definitionHash} is missing`);
  const definition = loadDefinition(text);
  const now = rt.clock.now();
  const record: ExecutionRecord = {
    arn,
    machineArn: machine.arn,
    name,
    definitionHash: definition.hash,
    roleArn: machine.roleArn,
    status: 'RUNNING',
    startDate: now,
    input: inputText,
    redriveCount: 0,
    billed: 0,
    nextFrame: 1,
    nextEventId: 1,
    ...(definition.timeoutSeconds !== undefined ? { timeoutAt: now + definition.timeoutSeconds * 1000 } : {}),
  };
  const exec: Execution = { record, frames: new Map(), events: [], definition };
  rt.executions.set(arn, exec);
  const root = rt.newFrame(exec, undefined, ROOT, 0, parsed, {});
  rt.emit(exec, root, 'ExecutionStarted', {
    executionStartedEventDetails: {
      input: inputText,
      inputDetails: { truncated: false },
      roleArn: machine.roleArn,
      stateMachineArn: machine.arn,
    },
  });
  rt.saveHeader(exec);
  it.armExecutionTimeout(exec);
  await publishStatus(rt, exec);
  it.schedule(exec, root);
  return { executionArn: arn, startDate: secs(now) };
};

/** The fields ListExecutions gives for an execution, which DescribeExecution gives too. */
const summaryOf = (r: ExecutionRecord): JsonObject => ({
  executionArn: r.arn,
  stateMachineArn: r.machineArn,
  name: r.name,
  status: r.status,
  startDate: secs(r.startDate),
  ...(r.stopDate !== undefined ? { stopDate: secs(r.stopDate) } : {}),
  redriveCount: r.redriveCount,
  ...(r.redriveDate !== undefined ? { redriveDate: secs(r.redriveDate) } : {}),
});

export const describeExecution = (rt: Runtime, input: JsonObject): JsonObject => {
  const exec = executionOf(rt, input.executionArn);
  const r = exec.record;
  const redrive = redriveStatus(rt, exec);
  return {
    ...summaryOf(r),
    input: r.input,
    inputDetails: { included: true },
    ...(r.output !== undefined ? { output: r.output, outputDetails: { included: true } } : {}),
    ...(r.error !== undefined ? { error: r.error } : {}),
    ...(r.cause !== undefined ? { cause: r.cause } : {}),
    redriveStatus: redrive.status,
    ...(redrive.reason ? { redriveStatusReason: redrive.reason } : {}),
  };
};

export const listExecutions = (rt: Runtime, input: JsonObject): JsonObject => {
  const arn = checkMachineArn(input.stateMachineArn);
  if (!rt.machines.has(arn) && ![...rt.executions.values()].some((e) => e.record.machineArn === arn)) {
    throw apiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
  }
  const filter = input.statusFilter;
  if (
    filter !== undefined &&
    !['RUNNING', 'SUCCEEDED', 'FAILED', 'TIMED_OUT', 'ABORTED', 'PENDING_REDRIVE'].includes(String(filter))
  ) {
    throw apiError(
      'ValidationException',
      `1 validation error detected: Value '${String(filter)}' at 'statusFilter' failed to satisfy constraint`,
    );
  }
  const redriveFilter = input.redriveFilter;
  const all = [...rt.executions.values()]
    .map((e) => e.record)
    .filter((r) => r.machineArn === arn && (filter === undefined || r.status === filter))
    .filter(
      (r) =>
        redriveFilter === undefined ||
        (redriveFilter === 'REDRIVEN' ? r.redriveCount > 0 : r.redriveCount === 0),
    )
    .sort((a, b) => b.startDate - a.startDate || b.arn.localeCompare(a.arn));
  const { page, nextToken } = paginate(all, input, 'executions');
  return {
    executions: page.map(summaryOf),
    ...(nextToken ? { nextToken } : {}),
  };
};

export const getExecutionHistory = (rt: Runtime, input: JsonObject): JsonObject => {
  const exec = executionOf(rt, input.executionArn);
  const includeData = input.includeExecutionData !== false;
  const ordered = input.reverseOrder === true ? [...exec.events].reverse() : exec.events;
  const { page, nextToken } = paginate(ordered, input, 'events');
  return {
    events: page.map((e) => wireEvent(e, includeData)),
    ...(nextToken ? { nextToken } : {}),
  };
};

export const stopExecution = async (it: Interpreter, input: JsonObject): Promise<JsonObject> => {
  const rt = it.rt;
  const exec = executionOf(rt, input.executionArn);
  const error = input.error;
  const cause = input.cause;
  if (error !== undefined && (typeof error !== 'string' || error.length > 256)) {
    throw apiError('ValidationException', 'error must be a string of at most 256 characters');
  }
  if (cause !== undefined && (typeof cause !== 'string' || cause.length > 32768)) {
    throw apiError('ValidationException', 'cause must be a string of at most 32768 characters');
  }
  if (exec.record.status === 'RUNNING') {
    it.finish(exec, 'ABORTED', {
      ...(typeof error === 'string' ? { error } : {}),
      ...(typeof cause === 'string' ? { cause } : {}),
    });
    await rt.store.flush();
  }
  return { stopDate: secs(exec.record.stopDate ?? rt.clock.now()) };
};

export const redriveExecution = async (it: Interpreter, input: JsonObject): Promise<JsonObject> => {
  const rt = it.rt;
  const exec = executionOf(rt, input.executionArn);
  const verdict = redriveStatus(rt, exec);
  if (verdict.status !== 'REDRIVABLE') {
    throw apiError('ExecutionNotRedrivable', `Execution Not Redrivable: ${verdict.reason ?? ''}`);
  }
  const r = exec.record;
  const now = rt.clock.now();
  r.status = 'RUNNING';
  r.redriveCount++;
  r.redriveDate = now;
  delete r.stopDate;
  delete r.output;
  delete r.error;
  delete r.cause;
  if (exec.definition.timeoutSeconds !== undefined) r.timeoutAt = now + exec.definition.timeoutSeconds * 1000;
  const root = exec.frames.get('0');
  if (!root) throw new Error(`execution ${r.arn} has no root frame`);
  rt.emit(exec, root, 'ExecutionRedriven', {
    executionRedrivenEventDetails: { redriveCount: r.redriveCount },
  });
  rt.saveHeader(exec);
  it.armExecutionTimeout(exec);
  resumeForRedrive(it, exec, root);
  await publishStatus(rt, exec);
  return { redriveDate: secs(now) };
};
