import { randomUUID } from 'node:crypto';
import { type Definition, loadDefinition, ROOT } from './definition.ts';
import { apiError, InvalidDefinitionError, SfnApiError, StatesError } from './errors.ts';
import { decodeToken, type Execution, Interpreter, PRICE_PER_TRANSITION_USD, secs } from './interpreter.ts';
import { isObject, type Json, type JsonObject, parseJson } from './json.ts';
import { overPayloadLimit, PAYLOAD_LIMIT } from './limits.ts';
import type { ExecutionRecord, Frame, HistoryEvent, MachineRecord, Phase } from './model.ts';
import { checkExecutionArn, checkMachineArn, checkName, executionArn, machineArn } from './names.ts';
import type { StatusListener } from './status-event.ts';

export type { EngineOptions } from './interpreter.ts';
export { PRICE_PER_TRANSITION_USD } from './interpreter.ts';
export type { StatusChangeEvent, StatusListener } from './status-event.ts';

/**
 * The local Step Functions engine: state machines, executions and their histories, run by an
 * interpreter of the Amazon States Language (both query languages, every state type, Retry/Catch,
 * timeouts, heartbeats, callback tokens, redrive), persisted in `<stateDir>/stepfunctions/` so that
 * every execution goes on after kill -9 and a restart, with its timers due at their original times
 * on the shared clock.
 */
export class StepFunctionsEngine extends Interpreter {
  private opening: Promise<void> | undefined;

  /** Loads the state directory and resumes every running execution where it stood. */
  open(): Promise<void> {
    this.opening ??= this.load();
    return this.opening;
  }

  private async load(): Promise<void> {
    const state = this.store.load();
    for (const [hash, text] of state.definitions) this.definitionTexts.set(hash, text);
    for (const m of state.machines.values()) this.machines.set(m.arn, m);
    for (const record of state.executions.values()) {
      const text = this.definitionTexts.get(record.definitionHash);
      if (text === undefined) continue;
      const exec: Execution = {
        record,
        frames: state.frames.get(record.arn) ?? new Map(),
        events: state.events.get(record.arn) ?? [],
        definition: loadDefinition(text),
      };
      // Events beyond the header's count belong to a commit the header did not reach: drop them.
      if (exec.events.length > record.nextEventId - 1) exec.events.length = record.nextEventId - 1;
      this.executions.set(record.arn, exec);
    }
    for (const exec of this.executions.values()) {
      if (exec.record.status === 'RUNNING') this.recover(exec);
    }
  }

  /** Stops timers and writes what is pending. Running executions stay running on disk. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const timers of this.frameTimers.values()) for (const t of timers) this.clock.clearTimer(t);
    for (const t of this.executionTimers.values()) this.clock.clearTimer(t);
    this.frameTimers.clear();
    this.executionTimers.clear();
    this.store.close();
  }

  onStatusChange(listener: StatusListener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Store statistics (group commits, bytes written): for the benchmark. */
  storeStats(): { commits: number; bytes: number } {
    return { ...this.store.stats };
  }

  /** Resolves once everything done so far is durable. */
  flush(): Promise<void> {
    return this.store.flush();
  }

  // ---------------------------------------------------------------- state machines

  createStateMachine(input: JsonObject): JsonObject {
    const name = requireString(input, 'name');
    const definitionText = requireString(input, 'definition');
    const roleArn = requireString(input, 'roleArn');
    checkName(name, 'state machine');
    const type = input.type === undefined ? 'STANDARD' : input.type;
    if (type !== 'STANDARD' && type !== 'EXPRESS') {
      throw apiError(
        'ValidationException',
        `1 validation error detected: Value '${String(type)}' at 'type' failed to satisfy constraint: Member must satisfy enum value set: [STANDARD, EXPRESS]`,
      );
    }
    const definition = this.validate(definitionText);
    if (type === 'EXPRESS' && /\.waitForTaskToken"/.test(definitionText)) {
      throw apiError(
        'InvalidDefinition',
        "Invalid State Machine Definition: 'Express state machines do not support the .waitForTaskToken service integration pattern'",
      );
    }
    const arn = machineArn(this.region, this.accountId, name);
    const existing = this.machines.get(arn);
    if (existing) {
      if (
        existing.definitionHash === definition.hash &&
        existing.roleArn === roleArn &&
        existing.type === type
      ) {
        return { stateMachineArn: arn, creationDate: secs(existing.creationDate) };
      }
      throw apiError('StateMachineAlreadyExists', `State Machine Already Exists: '${arn}'`);
    }
    const record: MachineRecord = {
      arn,
      name,
      definitionHash: definition.hash,
      roleArn,
      type,
      creationDate: this.clock.now(),
      revisionId: randomUUID(),
      ...(input.loggingConfiguration !== undefined
        ? { loggingConfiguration: input.loggingConfiguration }
        : {}),
      ...(input.tracingConfiguration !== undefined
        ? { tracingConfiguration: input.tracingConfiguration }
        : {}),
    };
    this.saveDefinition(definition);
    this.machines.set(arn, record);
    this.store.putMachine(record);
    return { stateMachineArn: arn, creationDate: secs(record.creationDate) };
  }

  updateStateMachine(input: JsonObject): JsonObject {
    const machine = this.machine(input.stateMachineArn);
    if (
      input.definition === undefined &&
      input.roleArn === undefined &&
      input.loggingConfiguration === undefined &&
      input.tracingConfiguration === undefined
    ) {
      throw apiError(
        'MissingRequiredParameter',
        'Either the definition, the roleArn, the loggingConfiguration or the tracingConfiguration must be specified',
      );
    }
    if (input.definition !== undefined) {
      if (typeof input.definition !== 'string')
        throw apiError('ValidationException', 'definition must be a string');
      const definition = this.validate(input.definition);
      this.saveDefinition(definition);
      machine.definitionHash = definition.hash;
    }
    if (typeof input.roleArn === 'string') machine.roleArn = input.roleArn;
    if (input.loggingConfiguration !== undefined) machine.loggingConfiguration = input.loggingConfiguration;
    if (input.tracingConfiguration !== undefined) machine.tracingConfiguration = input.tracingConfiguration;
    machine.updateDate = this.clock.now();
    machine.revisionId = randomUUID();
    this.store.putMachine(machine);
    return { updateDate: secs(machine.updateDate), revisionId: machine.revisionId };
  }

  describeStateMachine(input: JsonObject): JsonObject {
    const machine = this.machine(input.stateMachineArn);
    return {
      stateMachineArn: machine.arn,
      name: machine.name,
      status: 'ACTIVE',
      definition: this.definitionTexts.get(machine.definitionHash) ?? '',
      roleArn: machine.roleArn,
      type: machine.type,
      creationDate: secs(machine.creationDate),
      revisionId: machine.revisionId,
      loggingConfiguration: machine.loggingConfiguration ?? { level: 'OFF', includeExecutionData: false },
      tracingConfiguration: machine.tracingConfiguration ?? { enabled: false },
    };
  }

  describeStateMachineForExecution(input: JsonObject): JsonObject {
    const exec = this.execution(input.executionArn);
    const machine = this.machines.get(exec.record.machineArn);
    return {
      stateMachineArn: exec.record.machineArn,
      name: machine?.name ?? exec.record.machineArn.split(':').pop() ?? '',
      definition: exec.definition.text,
      roleArn: exec.record.roleArn,
      updateDate: secs(machine?.updateDate ?? machine?.creationDate ?? exec.record.startDate),
    };
  }

  listStateMachines(input: JsonObject): JsonObject {
    const all = [...this.machines.values()].sort((a, b) => a.name.localeCompare(b.name));
    const { page, nextToken } = paginate(all, input, 'stateMachines');
    return {
      stateMachines: page.map((m) => ({
        stateMachineArn: m.arn,
        name: m.name,
        type: m.type,
        creationDate: secs(m.creationDate),
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  deleteStateMachine(input: JsonObject): JsonObject {
    const arn = checkMachineArn(input.stateMachineArn);
    if (this.machines.delete(arn)) this.store.deleteMachine(arn);
    return {};
  }

  private validate(text: string): Definition {
    try {
      return loadDefinition(text);
    } catch (error) {
      if (error instanceof InvalidDefinitionError)
        throw apiError('InvalidDefinition', error.message, { cause: error });
      throw error;
    }
  }

  private saveDefinition(definition: Definition): void {
    if (this.definitionTexts.has(definition.hash)) return;
    this.definitionTexts.set(definition.hash, definition.text);
    this.store.putDefinition(definition.hash, definition.text);
  }

  private machine(arnValue: Json | undefined): MachineRecord {
    const arn = checkMachineArn(arnValue);
    const m = this.machines.get(arn);
    if (!m) throw apiError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    return m;
  }

  private execution(arnValue: Json | undefined): Execution {
    const arn = checkExecutionArn(arnValue);
    const e = this.executions.get(arn);
    if (!e) throw apiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    return e;
  }

  // ---------------------------------------------------------------- executions

  async startExecution(input: JsonObject): Promise<JsonObject> {
    // A start accepted after close would reach the disk half-written and never run: refuse it, as a
    // service that is going away does, so the caller retries against the one that comes back.
    if (this.closed)
      throw new SfnApiError('ServiceUnavailable', 'the local Step Functions engine is stopping', 503);
    const machine = this.machine(input.stateMachineArn);
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
    const arn = executionArn(this.region, this.accountId, machine.name, name);
    const existing = this.executions.get(arn);
    if (existing) {
      // Standard workflows: the same name and input while running returns the original answer.
      if (existing.record.status === 'RUNNING' && existing.record.input === inputText) {
        return { executionArn: arn, startDate: secs(existing.record.startDate) };
      }
      throw apiError('ExecutionAlreadyExists', `Execution Already Exists: '${arn}'`);
    }
    const text = this.definitionTexts.get(machine.definitionHash);
    if (text === undefined) throw new Error(`definition ${machine.definitionHash} is missing`);
    const definition = loadDefinition(text);
    const now = this.clock.now();
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
      ...(definition.timeoutSeconds !== undefined
        ? { timeoutAt: now + definition.timeoutSeconds * 1000 }
        : {}),
    };
    const exec: Execution = { record, frames: new Map(), events: [], definition };
    this.executions.set(arn, exec);
    const root = this.newFrame(exec, undefined, ROOT, 0, parsed, {});
    this.emit(exec, root, 'ExecutionStarted', {
      executionStartedEventDetails: {
        input: inputText,
        inputDetails: { truncated: false },
        roleArn: machine.roleArn,
        stateMachineArn: machine.arn,
      },
    });
    this.saveHeader(exec);
    this.armExecutionTimeout(exec);
    await this.publishStatus(exec);
    this.schedule(exec, root);
    return { executionArn: arn, startDate: secs(now) };
  }

  describeExecution(input: JsonObject): JsonObject {
    const exec = this.execution(input.executionArn);
    const r = exec.record;
    const redrive = this.redriveStatus(exec);
    return {
      executionArn: r.arn,
      stateMachineArn: r.machineArn,
      name: r.name,
      status: r.status,
      startDate: secs(r.startDate),
      ...(r.stopDate !== undefined ? { stopDate: secs(r.stopDate) } : {}),
      input: r.input,
      inputDetails: { included: true },
      ...(r.output !== undefined ? { output: r.output, outputDetails: { included: true } } : {}),
      ...(r.error !== undefined ? { error: r.error } : {}),
      ...(r.cause !== undefined ? { cause: r.cause } : {}),
      redriveCount: r.redriveCount,
      ...(r.redriveDate !== undefined ? { redriveDate: secs(r.redriveDate) } : {}),
      redriveStatus: redrive.status,
      ...(redrive.reason ? { redriveStatusReason: redrive.reason } : {}),
    };
  }

  listExecutions(input: JsonObject): JsonObject {
    const arn = checkMachineArn(input.stateMachineArn);
    if (!this.machines.has(arn) && ![...this.executions.values()].some((e) => e.record.machineArn === arn)) {
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
    const all = [...this.executions.values()]
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
      executions: page.map((r) => ({
        executionArn: r.arn,
        stateMachineArn: r.machineArn,
        name: r.name,
        status: r.status,
        startDate: secs(r.startDate),
        ...(r.stopDate !== undefined ? { stopDate: secs(r.stopDate) } : {}),
        redriveCount: r.redriveCount,
        ...(r.redriveDate !== undefined ? { redriveDate: secs(r.redriveDate) } : {}),
      })),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  getExecutionHistory(input: JsonObject): JsonObject {
    const exec = this.execution(input.executionArn);
    const includeData = input.includeExecutionData !== false;
    const ordered = input.reverseOrder === true ? [...exec.events].reverse() : exec.events;
    const { page, nextToken } = paginate(ordered, input, 'events');
    return {
      events: page.map((e) => wireEvent(e, includeData)),
      ...(nextToken ? { nextToken } : {}),
    };
  }

  async stopExecution(input: JsonObject): Promise<JsonObject> {
    const exec = this.execution(input.executionArn);
    const error = input.error;
    const cause = input.cause;
    if (error !== undefined && (typeof error !== 'string' || error.length > 256)) {
      throw apiError('ValidationException', 'error must be a string of at most 256 characters');
    }
    if (cause !== undefined && (typeof cause !== 'string' || cause.length > 32768)) {
      throw apiError('ValidationException', 'cause must be a string of at most 32768 characters');
    }
    if (exec.record.status === 'RUNNING') {
      this.finish(exec, 'ABORTED', {
        ...(typeof error === 'string' ? { error } : {}),
        ...(typeof cause === 'string' ? { cause } : {}),
      });
      await this.store.flush();
    }
    return { stopDate: secs(exec.record.stopDate ?? this.clock.now()) };
  }

  async redriveExecution(input: JsonObject): Promise<JsonObject> {
    const exec = this.execution(input.executionArn);
    const verdict = this.redriveStatus(exec);
    if (verdict.status !== 'REDRIVABLE') {
      throw apiError('ExecutionNotRedrivable', `Execution Not Redrivable: ${verdict.reason ?? ''}`);
    }
    const r = exec.record;
    const now = this.clock.now();
    r.status = 'RUNNING';
    r.redriveCount++;
    r.redriveDate = now;
    delete r.stopDate;
    delete r.output;
    delete r.error;
    delete r.cause;
    if (exec.definition.timeoutSeconds !== undefined)
      r.timeoutAt = now + exec.definition.timeoutSeconds * 1000;
    const root = exec.frames.get('0');
    if (!root) throw new Error(`execution ${r.arn} has no root frame`);
    this.emit(exec, root, 'ExecutionRedriven', {
      executionRedrivenEventDetails: { redriveCount: r.redriveCount },
    });
    this.saveHeader(exec);
    this.armExecutionTimeout(exec);
    this.resumeForRedrive(exec, root);
    await this.publishStatus(exec);
    return { redriveDate: secs(now) };
  }

  // ---------------------------------------------------------------- callbacks

  private locateToken(tokenValue: Json | undefined): {
    exec: Execution;
    frame: Frame;
    phase: Extract<Phase, { kind: 'task' }>;
  } {
    if (typeof tokenValue !== 'string' || tokenValue.length < 1 || tokenValue.length > 2048) {
      throw apiError('InvalidToken', 'Invalid Token: the task token must be 1 to 2048 characters');
    }
    const decoded = decodeToken(tokenValue);
    if (!decoded)
      throw apiError('InvalidToken', `Invalid Token: '${tokenValue.slice(0, 64)}' is not a task token`);
    const at = this.tokens.get(tokenValue);
    const exec = at ? this.executions.get(at.arn) : undefined;
    const frame = at ? exec?.frames.get(at.frame) : undefined;
    if (
      !exec ||
      !frame ||
      frame.phase.kind !== 'task' ||
      frame.phase.token !== tokenValue ||
      exec.record.status !== 'RUNNING'
    ) {
      if (!this.executions.has(decoded.arn))
        throw apiError(
          'TaskDoesNotExist',
          'Task Does Not Exist: the execution that issued this token does not exist',
        );
      throw apiError('TaskTimedOut', 'Task Timed Out: Provided task does not exist anymore');
    }
    return { exec, frame, phase: frame.phase };
  }

  async sendTaskSuccess(input: JsonObject): Promise<JsonObject> {
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
    const { exec, frame, phase } = this.locateToken(input.taskToken);
    this.closeTask(exec, frame, phase, { kind: 'result', result });
    const res = this.taskResource(exec, frame);
    this.emit(exec, frame, 'TaskSucceeded', {
      taskSucceededEventDetails: {
        resourceType: res.resourceType,
        resource: res.resource,
        output,
        outputDetails: { truncated: false },
      },
    });
    this.saveFrame(exec, frame);
    void this.guard(exec, frame, () => this.completeResult(exec, frame, result));
    await this.store.flush();
    return {};
  }

  async sendTaskFailure(input: JsonObject): Promise<JsonObject> {
    const error = input.error === undefined ? '' : input.error;
    const cause = input.cause === undefined ? '' : input.cause;
    if (typeof error !== 'string' || error.length > 256)
      throw apiError('ValidationException', 'error must be a string of at most 256 characters');
    if (typeof cause !== 'string' || cause.length > 32768)
      throw apiError('ValidationException', 'cause must be a string of at most 32768 characters');
    const { exec, frame, phase } = this.locateToken(input.taskToken);
    this.closeTask(exec, frame, phase);
    const res = this.taskResource(exec, frame);
    this.emit(exec, frame, 'TaskFailed', {
      taskFailedEventDetails: { resourceType: res.resourceType, resource: res.resource, error, cause },
    });
    this.saveFrame(exec, frame);
    void this.guard(exec, frame, () => this.handleError(exec, frame, new StatesError(error, cause)));
    await this.store.flush();
    return {};
  }

  async sendTaskHeartbeat(input: JsonObject): Promise<JsonObject> {
    const { exec, frame, phase } = this.locateToken(input.taskToken);
    if (phase.heartbeatSeconds !== undefined) {
      phase.heartbeatAt = this.clock.now() + phase.heartbeatSeconds * 1000;
      this.saveFrame(exec, frame);
      this.armTaskTimers(exec, frame, phase);
    }
    await this.store.flush();
    return {};
  }

  // ---------------------------------------------------------------- billing

  /** Billed state transitions of one execution (every state entered, every retry), or undefined. */
  billedTransitions(executionArn: string): number | undefined {
    return this.executions.get(executionArn)?.record.billed;
  }

  /** Billed transitions per execution and in total, with Step Functions Standard's price. */
  billing(input: JsonObject = {}): JsonObject {
    const arn = input.executionArn;
    const machine = input.stateMachineArn;
    const rows = [...this.executions.values()]
      .map((e) => e.record)
      .filter(
        (r) =>
          (typeof arn !== 'string' || r.arn === arn) &&
          (typeof machine !== 'string' || r.machineArn === machine),
      );
    if (typeof arn === 'string' && rows.length === 0)
      throw apiError('ExecutionDoesNotExist', `Execution Does Not Exist: '${arn}'`);
    const total = rows.reduce((n, r) => n + r.billed, 0);
    return {
      executions: rows.map((r) => ({
        executionArn: r.arn,
        status: r.status,
        billedStateTransitions: r.billed,
      })),
      billedStateTransitions: total,
      priceUsdPerTransition: PRICE_PER_TRANSITION_USD,
      costUsd: Number((total * PRICE_PER_TRANSITION_USD).toFixed(6)),
    };
  }
}

const requireString = (input: JsonObject, field: string): string => {
  const v = input[field];
  if (typeof v !== 'string') {
    throw apiError(
      'ValidationException',
      `1 validation error detected: Value at '${field}' failed to satisfy constraint: Member must not be null and must be a string`,
    );
  }
  return v;
};

const paginate = <T>(
  all: readonly T[],
  input: JsonObject,
  what: string,
): { page: T[]; nextToken?: string } => {
  const max = input.maxResults === undefined || input.maxResults === 0 ? 100 : input.maxResults;
  if (typeof max !== 'number' || !Number.isInteger(max) || max < 0 || max > 1000) {
    throw apiError(
      'ValidationException',
      `1 validation error detected: Value '${String(max)}' at 'maxResults' failed to satisfy constraint: Member must have value less than or equal to 1000`,
    );
  }
  let start = 0;
  if (input.nextToken !== undefined) {
    const decoded =
      typeof input.nextToken === 'string'
        ? /^(\d+):([a-z]+)$/.exec(Buffer.from(input.nextToken, 'base64url').toString('utf8'))
        : null;
    if (!decoded?.[1] || decoded[2] !== what)
      throw apiError('InvalidToken', `Invalid Token: '${String(input.nextToken)}' is not a pagination token`);
    start = Number(decoded[1]);
  }
  const page = all.slice(start, start + max);
  const end = start + page.length;
  return end < all.length
    ? { page, nextToken: Buffer.from(`${end}:${what}`).toString('base64url') }
    : { page };
};

/** A history event on the wire: seconds for the timestamp, execution data left out if asked. */
const wireEvent = (e: HistoryEvent, includeData: boolean): JsonObject => {
  const out: JsonObject = {};
  for (const [k, v] of Object.entries(e)) {
    if (v === undefined) continue;
    if (k === 'timestamp' && typeof v === 'number') out[k] = secs(v);
    else if (!includeData && isObject(v)) {
      const { input: _i, output: _o, parameters: _p, ...rest } = v;
      out[k] = rest;
    } else out[k] = v;
  }
  return out;
};
