import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock, Timer } from '../clock.ts';
import type { FunctionRegistry } from '../lambda/registry.ts';
import { evaluateRule, parseTimestamp } from './choice.ts';
import {
  branchKey,
  containerOf,
  type Definition,
  loadDefinition,
  mapKey,
  ROOT,
  stateLanguage,
  stateOf,
} from './definition.ts';
import { apiError, InvalidDefinitionError, StatesError, TERMINAL_ERRORS } from './errors.ts';
import { callTask, type Integrations, type ParsedResource, parseResource } from './integrations.ts';
import { isObject, type Json, type JsonObject, parseJson, stringify } from './json.ts';
import { selectPath, setPath } from './jsonpath.ts';
import type { ExecutionRecord, ExecutionStatus, Frame, HistoryEvent, MachineRecord, Phase } from './model.ts';
import { checkExecutionArn, checkMachineArn, checkName, executionArn, machineArn } from './names.ts';
import { applyTemplate, evaluateJsonata, type Scope } from './payload.ts';
import { Store, type StoredState } from './store.ts';

/**
 * The local Step Functions engine: state machines, executions and their histories, run by an
 * interpreter of the Amazon States Language (both query languages, every state type, Retry/Catch,
 * timeouts, heartbeats, callback tokens, redrive), persisted in `<stateDir>/stepfunctions/` so that
 * every execution goes on after kill -9 and a restart, with its timers due at their original times
 * on the shared clock.
 */

export interface EngineOptions {
  readonly stateDir: string;
  readonly clock: Clock;
  readonly region: string;
  readonly accountId: string;
  readonly functions: FunctionRegistry;
  readonly integrations?: Integrations;
}

/** The EventBridge "Step Functions Execution Status Change" event. */
export interface StatusChangeEvent {
  readonly version: '0';
  readonly id: string;
  readonly 'detail-type': 'Step Functions Execution Status Change';
  readonly source: 'aws.states';
  readonly account: string;
  readonly time: string;
  readonly region: string;
  readonly resources: string[];
  readonly detail: {
    readonly executionArn: string;
    readonly stateMachineArn: string;
    readonly name: string;
    readonly status: ExecutionStatus;
    readonly startDate: number;
    readonly stopDate: number | null;
    readonly input: string;
    readonly inputDetails: { readonly included: boolean };
    readonly output: string | null;
    readonly outputDetails: { readonly included: boolean } | null;
    readonly error: string | null;
    readonly cause: string | null;
    readonly redriveCount: number;
    readonly redriveDate: number | null;
    readonly redriveStatus: string;
    readonly redriveStatusReason: string;
  };
}

export type StatusListener = (event: StatusChangeEvent) => void;

/** Step Functions Standard's price per state transition, in USD ($0.025 per 1,000). */
export const PRICE_PER_TRANSITION_USD = 0.000025;
const PAYLOAD_LIMIT = 256 * 1024;
const REDRIVE_WINDOW_MS = 14 * 24 * 3600 * 1000;
const MAX_REDRIVES = 1000;
const DEFAULT_TASK_TIMEOUT_S = 99_999_999;
const HISTORY_LIMIT = 25_000;

const secs = (ms: number): number => ms / 1000;
const iso = (ms: number): string => new Date(ms).toISOString();

interface Execution {
  readonly record: ExecutionRecord;
  readonly frames: Map<string, Frame>;
  readonly events: HistoryEvent[];
  readonly definition: Definition;
}

export class StepFunctionsEngine {
  readonly clock: Clock;
  readonly region: string;
  readonly accountId: string;
  private readonly functions: FunctionRegistry;
  private readonly integrations: Integrations;
  private readonly store: Store;
  private readonly machines = new Map<string, MachineRecord>();
  private readonly definitionTexts = new Map<string, string>();
  private readonly executions = new Map<string, Execution>();
  private readonly tokens = new Map<string, { arn: string; frame: string }>();
  private readonly frameTimers = new Map<string, Timer[]>();
  private readonly executionTimers = new Map<string, Timer>();
  private readonly listeners = new Set<StatusListener>();
  private opened = false;
  private closed = false;

  constructor(options: EngineOptions) {
    this.clock = options.clock;
    this.region = options.region;
    this.accountId = options.accountId;
    this.functions = options.functions;
    this.integrations = options.integrations ?? {};
    this.store = new Store(options.stateDir, () => this.dump());
  }

  /** Loads the state directory and resumes every running execution where it stood. */
  async open(): Promise<void> {
    if (this.opened) return;
    this.opened = true;
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

  private dump(): StoredState {
    const frames = new Map<string, Map<string, Frame>>();
    const events = new Map<string, HistoryEvent[]>();
    const executions = new Map<string, ExecutionRecord>();
    for (const [arn, e] of this.executions) {
      executions.set(arn, e.record);
      frames.set(arn, e.frames);
      events.set(arn, e.events);
    }
    return { machines: this.machines, definitions: this.definitionTexts, executions, frames, events };
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
    const machine = this.machine(input.stateMachineArn);
    const name = input.name === undefined ? randomUUID() : requireString(input, 'name');
    checkName(name, 'execution');
    const inputText = input.input === undefined ? '{}' : requireString(input, 'input');
    if (Buffer.byteLength(inputText) > PAYLOAD_LIMIT) {
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
      if (
        existing.record.status === 'RUNNING' &&
        existing.record.input === inputText &&
        existing.record.redriveCount === 0
      ) {
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
    await this.store.flush();
    this.publishStatus(exec);
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

  private redriveStatus(exec: Execution): { status: string; reason?: string } {
    const r = exec.record;
    if (r.status === 'RUNNING')
      return { status: 'NOT_REDRIVABLE', reason: 'Execution is RUNNING and cannot be redriven' };
    if (r.status === 'SUCCEEDED')
      return { status: 'NOT_REDRIVABLE', reason: 'Execution is SUCCEEDED and cannot be redriven' };
    if (r.stopDate !== undefined && this.clock.now() - r.stopDate > REDRIVE_WINDOW_MS) {
      return {
        status: 'NOT_REDRIVABLE',
        reason: 'Execution can no longer be redriven: it stopped more than 14 days ago',
      };
    }
    if (r.redriveCount >= MAX_REDRIVES) {
      return { status: 'NOT_REDRIVABLE', reason: `Execution has been redriven ${MAX_REDRIVES} times` };
    }
    if (r.error === 'States.DataLimitExceeded' || r.error === 'States.Runtime') {
      return { status: 'NOT_REDRIVABLE', reason: `Execution failed with ${r.error} and cannot be redriven` };
    }
    return { status: 'REDRIVABLE' };
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
    await this.store.flush();
    this.publishStatus(exec);
    return { redriveDate: secs(now) };
  }

  private resumeForRedrive(exec: Execution, frame: Frame): void {
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
      this.saveFrame(exec, frame);
      for (const child of children) this.resumeForRedrive(exec, child);
      this.afterChildChange(exec, frame);
    } else {
      frame.phase = { kind: 'enter' };
      this.saveFrame(exec, frame);
      this.schedule(exec, frame);
    }
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
        throw apiError('InvalidToken', 'Invalid Token: no execution issued this token');
      throw apiError('TaskTimedOut', 'Task Timed Out: Provided task does not exist anymore');
    }
    return { exec, frame, phase: frame.phase };
  }

  async sendTaskSuccess(input: JsonObject): Promise<JsonObject> {
    const output = input.output;
    if (typeof output !== 'string') throw apiError('ValidationException', 'output is required');
    if (Buffer.byteLength(output) > PAYLOAD_LIMIT)
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

  /** Ends the waiting part of a task: its token and timers go; the frame holds the next phase. */
  private closeTask(
    exec: Execution,
    frame: Frame,
    phase: Extract<Phase, { kind: 'task' }>,
    next: Phase = { kind: 'running' },
  ): void {
    if (phase.token) this.tokens.delete(phase.token);
    this.clearFrameTimers(exec, frame);
    frame.phase = next;
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

  // ---------------------------------------------------------------- persistence helpers

  private saveHeader(exec: Execution): void {
    this.store.putExecution(exec.record);
  }

  private saveFrame(exec: Execution, frame: Frame): void {
    this.store.putFrame(exec.record.arn, frame);
  }

  private newFrame(
    exec: Execution,
    parent: Frame | undefined,
    container: string,
    index: number,
    input: Json,
    outer: Record<string, Json>,
    item?: Json,
  ): Frame {
    const c = containerOf(exec.definition, container);
    const frame: Frame = {
      id: parent ? String(exec.record.nextFrame++) : '0',
      ...(parent ? { parent: parent.id } : {}),
      container,
      index,
      status: 'running',
      state: c.startAt,
      input,
      enteredAt: this.clock.now(),
      variables: {},
      outer,
      ...(item !== undefined ? { item } : {}),
      phase: { kind: 'enter' },
      retries: [],
      children: [],
      lastEventId: 0,
    };
    exec.frames.set(frame.id, frame);
    this.saveFrame(exec, frame);
    this.saveHeader(exec);
    return frame;
  }

  private emit(exec: Execution, frame: Frame | undefined, type: string, details: JsonObject): HistoryEvent {
    const id = exec.record.nextEventId++;
    const event: HistoryEvent = {
      id,
      previousEventId: frame ? frame.lastEventId : id - 1,
      timestamp: this.clock.now(),
      type,
      ...details,
    };
    if (frame) frame.lastEventId = id;
    exec.events.push(event);
    this.store.appendEvents(exec.record.arn, [event]);
    this.saveHeader(exec);
    return event;
  }

  // ---------------------------------------------------------------- timers

  private timerKey(exec: Execution, frame: Frame): string {
    return `${exec.record.arn} ${frame.id}`;
  }

  private clearFrameTimers(exec: Execution, frame: Frame): void {
    const key = this.timerKey(exec, frame);
    for (const t of this.frameTimers.get(key) ?? []) this.clock.clearTimer(t);
    this.frameTimers.delete(key);
  }

  private addFrameTimer(exec: Execution, frame: Frame, at: number, fn: () => void): void {
    if (this.closed) return;
    const key = this.timerKey(exec, frame);
    const list = this.frameTimers.get(key) ?? [];
    list.push(this.clock.setTimer(at, fn));
    this.frameTimers.set(key, list);
  }

  private armExecutionTimeout(exec: Execution): void {
    const old = this.executionTimers.get(exec.record.arn);
    if (old) this.clock.clearTimer(old);
    this.executionTimers.delete(exec.record.arn);
    const at = exec.record.timeoutAt;
    if (at === undefined || this.closed) return;
    this.executionTimers.set(
      exec.record.arn,
      this.clock.setTimer(at, () => {
        if (exec.record.status !== 'RUNNING' || this.closed) return;
        this.finish(exec, 'TIMED_OUT', {
          error: 'States.Timeout',
          cause: 'The execution ran longer than the state machine TimeoutSeconds',
        });
      }),
    );
  }

  // ---------------------------------------------------------------- the interpreter

  /** Runs a frame's pending step on a later turn of the event loop, so group commits interleave. */
  private schedule(exec: Execution, frame: Frame): void {
    if (this.closed) return;
    const phase = frame.phase;
    setImmediate(() => {
      if (frame.phase !== phase) return;
      void this.guard(exec, frame, () => this.step(exec, frame));
    });
  }

  /** Runs `fn` for a frame and turns any failure it raises into the state's error. */
  private async guard(exec: Execution, frame: Frame, fn: () => Promise<void> | void): Promise<void> {
    if (this.closed || exec.record.status !== 'RUNNING' || frame.status !== 'running') return;
    try {
      await fn();
    } catch (error) {
      if (this.closed || exec.record.status !== 'RUNNING' || frame.status !== 'running') return;
      const se = toStatesError(error);
      await this.handleError(exec, frame, se).catch((inner: unknown) => {
        this.failFrame(exec, frame, 'States.Runtime', `Internal error: ${String(inner)}`);
      });
    }
  }

  private async step(exec: Execution, frame: Frame): Promise<void> {
    const phase = frame.phase;
    if (phase.kind === 'select') {
      await this.selectItem(exec, frame, phase);
      return;
    }
    if (phase.kind === 'result') {
      await this.completeResult(exec, frame, phase.result);
      return;
    }
    if (phase.kind === 'enter') {
      const state = stateOf(exec.definition, frame.container, frame.state);
      frame.enteredAt = this.clock.now();
      frame.retries = [];
      exec.record.billed++;
      this.emit(exec, frame, `${stateType(state)}StateEntered`, {
        stateEnteredEventDetails: {
          name: frame.state,
          input: stringify(frame.input),
          inputDetails: { truncated: false },
        },
      });
      frame.phase = { kind: 'running' };
      this.saveFrame(exec, frame);
      if (exec.events.length > HISTORY_LIMIT) {
        this.finish(exec, 'FAILED', {
          error: 'States.Runtime',
          cause: `The execution reached the limit of ${HISTORY_LIMIT} history events`,
        });
        return;
      }
    }
    await this.execute(exec, frame);
  }

  private scope(exec: Execution, frame: Frame, extra?: JsonObject): Scope {
    return {
      context: this.contextObject(exec, frame, extra),
      variables: { ...frame.outer, ...frame.variables },
    };
  }

  private contextObject(exec: Execution, frame: Frame, extra?: JsonObject): JsonObject {
    const r = exec.record;
    const machineName = r.machineArn.split(':').pop() ?? '';
    return {
      Execution: {
        Id: r.arn,
        Input: parseJson(r.input),
        Name: r.name,
        RoleArn: r.roleArn,
        StartTime: iso(r.startDate),
        RedriveCount: r.redriveCount,
        ...(r.redriveDate !== undefined ? { RedriveTime: iso(r.redriveDate) } : {}),
      },
      State: {
        EnteredTime: iso(frame.enteredAt),
        Name: frame.state,
        RetryCount: frame.retries.reduce((a, b) => a + b, 0),
      },
      StateMachine: { Id: r.machineArn, Name: machineName },
      ...extra,
    };
  }

  private jsonata(
    exec: Execution,
    frame: Frame,
    field: Json,
    where: string,
    more: { result?: Json; errorOutput?: Json; context?: JsonObject } = {},
  ): Promise<Json> {
    const scope = this.scope(exec, frame, more.context);
    return evaluateJsonata(
      field,
      {
        input: frame.input,
        context: scope.context,
        ...(more.result !== undefined ? { result: more.result } : {}),
        ...(more.errorOutput !== undefined ? { errorOutput: more.errorOutput } : {}),
      },
      scope.variables,
      `${frame.state}.${where}`,
    );
  }

  /** The effective input of a JSONPath state (InputPath applied). */
  private effectiveInput(exec: Execution, frame: Frame, state: JsonObject): Json {
    if (!('InputPath' in state)) return frame.input;
    const p = state.InputPath;
    if (p === null) return {};
    if (typeof p !== 'string') throw new StatesError('States.Runtime', 'InputPath must be a path');
    return selectPath(p, frame.input, this.contextObject(exec, frame), `InputPath of state '${frame.state}'`);
  }

  /** ResultPath then OutputPath, as a JSONPath state shapes its output. */
  private shapeOutput(
    exec: Execution,
    frame: Frame,
    state: JsonObject,
    rawInput: Json,
    result: Json,
    resultPathDefault = '$',
  ): Json {
    let combined: Json;
    const rp = 'ResultPath' in state ? state.ResultPath : resultPathDefault;
    if (rp === null) combined = rawInput;
    else if (typeof rp === 'string') combined = setPath(rawInput, rp, result);
    else throw new StatesError('States.Runtime', 'ResultPath must be a path');
    return this.outputPath(exec, frame, state, combined);
  }

  private outputPath(exec: Execution, frame: Frame, state: JsonObject, value: Json): Json {
    if (!('OutputPath' in state)) return value;
    const p = state.OutputPath;
    if (p === null) return {};
    if (typeof p !== 'string') throw new StatesError('States.Runtime', 'OutputPath must be a path');
    return selectPath(p, value, this.contextObject(exec, frame), `OutputPath of state '${frame.state}'`);
  }

  private async assignments(
    exec: Execution,
    frame: Frame,
    assign: Json | undefined,
    jsonPathData: Json,
    more: { result?: Json; errorOutput?: Json } = {},
  ): Promise<JsonObject | undefined> {
    if (assign === undefined) return undefined;
    const state = stateOf(exec.definition, frame.container, frame.state);
    const value =
      stateLanguage(exec.definition, state) === 'JSONata'
        ? await this.jsonata(exec, frame, assign, 'Assign', more)
        : applyTemplate(assign, jsonPathData, this.scope(exec, frame), `Assign of state '${frame.state}'`);
    if (!isObject(value))
      throw new StatesError('States.Runtime', `Assign of state '${frame.state}' must be an object`);
    return value;
  }

  /** Runs the current (already entered) state of a frame. */
  private async execute(exec: Execution, frame: Frame): Promise<void> {
    const state = stateOf(exec.definition, frame.container, frame.state);
    const lang = stateLanguage(exec.definition, state);
    const jsonata = lang === 'JSONata';
    const type = stateType(state);
    const phase = frame.phase;
    switch (type) {
      case 'Pass': {
        if (jsonata) {
          const output =
            'Output' in state ? await this.jsonata(exec, frame, state.Output ?? null, 'Output') : frame.input;
          const assigned = await this.assignments(exec, frame, state.Assign, null);
          return this.transition(exec, frame, phase, state, output, assigned);
        }
        const effective = this.effectiveInput(exec, frame, state);
        const params =
          'Parameters' in state
            ? applyTemplate(
                state.Parameters ?? null,
                effective,
                this.scope(exec, frame),
                `Parameters of state '${frame.state}'`,
              )
            : effective;
        const result = 'Result' in state ? (state.Result ?? null) : params;
        const assigned = await this.assignments(exec, frame, state.Assign, result);
        return this.transition(
          exec,
          frame,
          phase,
          state,
          this.shapeOutput(exec, frame, state, frame.input, result),
          assigned,
        );
      }
      case 'Succeed': {
        const output = jsonata
          ? 'Output' in state
            ? await this.jsonata(exec, frame, state.Output ?? null, 'Output')
            : frame.input
          : this.outputPath(exec, frame, state, this.effectiveInput(exec, frame, state));
        return this.transition(exec, frame, phase, state, output, undefined);
      }
      case 'Fail': {
        let error: Json = null;
        let cause: Json = null;
        if (jsonata) {
          if ('Error' in state) error = await this.jsonata(exec, frame, state.Error ?? null, 'Error');
          if ('Cause' in state) cause = await this.jsonata(exec, frame, state.Cause ?? null, 'Cause');
        } else {
          const scope = this.scope(exec, frame);
          error =
            typeof state.ErrorPath === 'string'
              ? this.pathOrIntrinsic(state.ErrorPath, frame.input, scope, 'ErrorPath')
              : (state.Error ?? null);
          cause =
            typeof state.CausePath === 'string'
              ? this.pathOrIntrinsic(state.CausePath, frame.input, scope, 'CausePath')
              : (state.Cause ?? null);
        }
        if (frame.phase !== phase) return;
        this.failFrame(
          exec,
          frame,
          typeof error === 'string' ? error : '',
          typeof cause === 'string' ? cause : '',
        );
        return;
      }
      case 'Choice':
        return this.runChoice(exec, frame, state, jsonata);
      case 'Wait':
        return this.runWait(exec, frame, state, jsonata);
      case 'Task':
        return this.runTask(exec, frame, state, jsonata);
      case 'Parallel':
      case 'Map':
        return this.runContainer(exec, frame, state, jsonata, type);
      default:
        throw new StatesError('States.Runtime', `Unknown state type '${type}'`);
    }
  }

  private pathOrIntrinsic(path: string, data: Json, scope: Scope, field: string): Json {
    const v = applyTemplate({ 'v.$': path }, data, scope, field);
    return isObject(v) ? (v.v ?? null) : null;
  }

  private async runChoice(exec: Execution, frame: Frame, state: JsonObject, jsonata: boolean): Promise<void> {
    const phase = frame.phase;
    const choices = Array.isArray(state.Choices) ? state.Choices : [];
    const effective = jsonata ? frame.input : this.effectiveInput(exec, frame, state);
    let chosen: JsonObject | undefined;
    for (const rule of choices) {
      if (!isObject(rule)) continue;
      let matched: boolean;
      if (jsonata) {
        const v = await this.jsonata(exec, frame, rule.Condition ?? null, 'Condition');
        if (typeof v !== 'boolean') {
          throw new StatesError(
            'States.QueryEvaluationError',
            `The Condition of a Choice rule in state '${frame.state}' returned ${JSON.stringify(v)}, not a boolean`,
          );
        }
        matched = v;
      } else matched = evaluateRule(rule, effective, this.scope(exec, frame));
      if (matched) {
        chosen = rule;
        break;
      }
    }
    const next = chosen ? chosen.Next : state.Default;
    if (typeof next !== 'string') {
      if (frame.phase !== phase) return;
      this.failFrame(exec, frame, 'States.NoChoiceMatched', `No Matches! in state '${frame.state}'`);
      return;
    }
    let output: Json;
    let assigned: JsonObject | undefined;
    if (jsonata) {
      const outputField = chosen && 'Output' in chosen ? chosen.Output : state.Output;
      output =
        outputField === undefined ? frame.input : await this.jsonata(exec, frame, outputField, 'Output');
      assigned = await this.assignments(
        exec,
        frame,
        chosen && 'Assign' in chosen ? chosen.Assign : state.Assign,
        null,
      );
    } else {
      assigned = await this.assignments(
        exec,
        frame,
        chosen && 'Assign' in chosen ? chosen.Assign : state.Assign,
        effective,
      );
      output = this.outputPath(exec, frame, state, effective);
    }
    return this.transition(exec, frame, phase, state, output, assigned, next);
  }

  private async runWait(exec: Execution, frame: Frame, state: JsonObject, jsonata: boolean): Promise<void> {
    const phase = frame.phase;
    let until: number;
    if (jsonata) {
      if ('Seconds' in state) {
        const s = await this.jsonata(exec, frame, state.Seconds ?? null, 'Seconds');
        if (typeof s !== 'number' || s < 0)
          throw new StatesError(
            'States.QueryEvaluationError',
            `Wait state '${frame.state}': Seconds must be a non-negative number, got ${JSON.stringify(s)}`,
          );
        until = this.clock.now() + s * 1000;
      } else {
        const t = await this.jsonata(exec, frame, state.Timestamp ?? null, 'Timestamp');
        const at = parseTimestamp(t);
        if (at === undefined)
          throw new StatesError(
            'States.QueryEvaluationError',
            `Wait state '${frame.state}': Timestamp ${JSON.stringify(t)} is not an ISO-8601 timestamp`,
          );
        until = at;
      }
    } else {
      const effective = this.effectiveInput(exec, frame, state);
      const scope = this.scope(exec, frame);
      if (typeof state.Seconds === 'number') until = this.clock.now() + state.Seconds * 1000;
      else if (typeof state.Timestamp === 'string')
        until = parseTimestamp(state.Timestamp) ?? this.clock.now();
      else if (typeof state.SecondsPath === 'string') {
        const s = selectPath(
          state.SecondsPath,
          effective,
          scope.context,
          `SecondsPath of state '${frame.state}'`,
        );
        if (typeof s !== 'number' || s < 0 || !Number.isInteger(s))
          throw new StatesError(
            'States.Runtime',
            `Wait state '${frame.state}': SecondsPath '${state.SecondsPath}' must select a non-negative integer, got ${JSON.stringify(s)}`,
          );
        until = this.clock.now() + s * 1000;
      } else if (typeof state.TimestampPath === 'string') {
        const t = selectPath(
          state.TimestampPath,
          effective,
          scope.context,
          `TimestampPath of state '${frame.state}'`,
        );
        const at = parseTimestamp(t);
        if (at === undefined)
          throw new StatesError(
            'States.Runtime',
            `Wait state '${frame.state}': TimestampPath '${state.TimestampPath}' must select an ISO-8601 timestamp, got ${JSON.stringify(t)}`,
          );
        until = at;
      } else
        throw new StatesError(
          'States.Runtime',
          `Wait state '${frame.state}' needs Seconds, Timestamp, SecondsPath or TimestampPath`,
        );
    }
    if (frame.phase !== phase) return;
    frame.phase = { kind: 'wait', until };
    this.saveFrame(exec, frame);
    this.armWait(exec, frame);
  }

  private armWait(exec: Execution, frame: Frame): void {
    const phase = frame.phase;
    if (phase.kind !== 'wait') return;
    this.addFrameTimer(exec, frame, phase.until, () => {
      if (frame.phase !== phase) return;
      this.clearFrameTimers(exec, frame);
      frame.phase = { kind: 'running' };
      void this.guard(exec, frame, () => this.finishWait(exec, frame));
    });
  }

  private async finishWait(exec: Execution, frame: Frame): Promise<void> {
    const phase = frame.phase;
    const state = stateOf(exec.definition, frame.container, frame.state);
    if (stateLanguage(exec.definition, state) === 'JSONata') {
      const output =
        'Output' in state ? await this.jsonata(exec, frame, state.Output ?? null, 'Output') : frame.input;
      const assigned = await this.assignments(exec, frame, state.Assign, null);
      return this.transition(exec, frame, phase, state, output, assigned);
    }
    const effective = this.effectiveInput(exec, frame, state);
    const assigned = await this.assignments(exec, frame, state.Assign, effective);
    return this.transition(
      exec,
      frame,
      phase,
      state,
      this.outputPath(exec, frame, state, effective),
      assigned,
    );
  }

  private async secondsField(
    exec: Execution,
    frame: Frame,
    state: JsonObject,
    field: 'TimeoutSeconds' | 'HeartbeatSeconds',
    jsonata: boolean,
  ): Promise<number | undefined> {
    let v: Json | undefined;
    if (jsonata && field in state) v = await this.jsonata(exec, frame, state[field] ?? null, field);
    else if (typeof state[field] === 'number') v = state[field];
    else if (typeof state[`${field}Path`] === 'string') {
      const p = String(state[`${field}Path`]);
      v = selectPath(
        p,
        frame.input,
        this.contextObject(exec, frame),
        `${field}Path of state '${frame.state}'`,
      );
    }
    if (v === undefined) return undefined;
    if (typeof v !== 'number' || !Number.isInteger(v) || v <= 0) {
      throw new StatesError(
        jsonata ? 'States.QueryEvaluationError' : 'States.Runtime',
        `${field} of state '${frame.state}' must be a positive integer, got ${JSON.stringify(v)}`,
      );
    }
    return v;
  }

  private taskResource(exec: Execution, frame: Frame): ParsedResource {
    const state = stateOf(exec.definition, frame.container, frame.state);
    return parseResource(typeof state.Resource === 'string' ? state.Resource : '');
  }

  private async runTask(exec: Execution, frame: Frame, state: JsonObject, jsonata: boolean): Promise<void> {
    const phase = frame.phase;
    const resourceArn = typeof state.Resource === 'string' ? state.Resource : '';
    const resource = parseResource(resourceArn);
    const timeoutSeconds =
      (await this.secondsField(exec, frame, state, 'TimeoutSeconds', jsonata)) ?? DEFAULT_TASK_TIMEOUT_S;
    const heartbeatSeconds = await this.secondsField(exec, frame, state, 'HeartbeatSeconds', jsonata);
    const token = resource.pattern === 'callback' ? encodeToken(exec.record.arn, frame.id) : undefined;
    const taskContext: JsonObject | undefined = token ? { Task: { Token: token } } : undefined;
    let params: Json;
    if (jsonata) {
      params =
        'Arguments' in state
          ? await this.jsonata(
              exec,
              frame,
              state.Arguments ?? null,
              'Arguments',
              taskContext ? { context: taskContext } : {},
            )
          : frame.input;
    } else {
      const effective = this.effectiveInput(exec, frame, state);
      params =
        'Parameters' in state
          ? applyTemplate(
              state.Parameters ?? null,
              effective,
              this.scope(exec, frame, taskContext),
              `Parameters of state '${frame.state}'`,
            )
          : effective;
    }
    if (frame.phase !== phase) return;
    const now = this.clock.now();
    const next: Extract<Phase, { kind: 'task' }> = {
      kind: 'task',
      params,
      timeoutAt: now + timeoutSeconds * 1000,
      ...(heartbeatSeconds !== undefined && token
        ? { heartbeatSeconds, heartbeatAt: now + heartbeatSeconds * 1000 }
        : {}),
      ...(token ? { token, submitted: false } : {}),
    };
    frame.phase = next;
    if (resource.kind === 'lambda-function') {
      this.emit(exec, frame, 'LambdaFunctionScheduled', {
        lambdaFunctionScheduledEventDetails: {
          resource: resourceArn,
          input: stringify(params),
          inputDetails: { truncated: false },
          timeoutInSeconds: timeoutSeconds,
        },
      });
    } else {
      this.emit(exec, frame, 'TaskScheduled', {
        taskScheduledEventDetails: {
          resourceType: resource.resourceType,
          resource: resource.resource,
          region: this.region,
          parameters: stringify(params),
          timeoutInSeconds: timeoutSeconds,
          ...(heartbeatSeconds !== undefined ? { heartbeatInSeconds: heartbeatSeconds } : {}),
        },
      });
    }
    this.saveFrame(exec, frame);
    if (token) this.tokens.set(token, { arn: exec.record.arn, frame: frame.id });
    this.armTaskTimers(exec, frame, next);
    await this.store.flush();
    if (frame.phase !== next) return;
    this.emit(
      exec,
      frame,
      resource.kind === 'lambda-function' ? 'LambdaFunctionStarted' : 'TaskStarted',
      resource.kind === 'lambda-function'
        ? {}
        : { taskStartedEventDetails: { resourceType: resource.resourceType, resource: resource.resource } },
    );
    this.saveFrame(exec, frame);
    await this.invoke(exec, frame, next, resource);
  }

  /** Calls the task's resource; for a callback task, only delivers the token and keeps waiting. */
  private async invoke(
    exec: Execution,
    frame: Frame,
    phase: Extract<Phase, { kind: 'task' }>,
    resource: ParsedResource,
  ): Promise<void> {
    let result: Json;
    try {
      result = await callTask({
        resource,
        arn: resource.resource,
        params: phase.params,
        functions: this.functions,
        clock: this.clock,
        integrations: this.integrations,
      });
    } catch (error) {
      if (frame.phase !== phase || exec.record.status !== 'RUNNING') return;
      const se = toStatesError(error);
      this.closeTask(exec, frame, phase);
      if (resource.kind === 'lambda-function') {
        this.emit(exec, frame, 'LambdaFunctionFailed', {
          lambdaFunctionFailedEventDetails: { error: se.error, cause: se.causeText },
        });
      } else {
        this.emit(exec, frame, 'TaskFailed', {
          taskFailedEventDetails: {
            resourceType: resource.resourceType,
            resource: resource.resource,
            error: se.error,
            cause: se.causeText,
          },
        });
      }
      this.saveFrame(exec, frame);
      return this.handleError(exec, frame, se);
    }
    if (frame.phase !== phase || exec.record.status !== 'RUNNING') return;
    if (phase.token) {
      phase.submitted = true;
      this.emit(exec, frame, 'TaskSubmitted', {
        taskSubmittedEventDetails: {
          resourceType: resource.resourceType,
          resource: resource.resource,
          output: stringify(result),
          outputDetails: { truncated: false },
        },
      });
      this.saveFrame(exec, frame);
      return;
    }
    this.closeTask(exec, frame, phase, { kind: 'result', result });
    if (resource.kind === 'lambda-function') {
      this.emit(exec, frame, 'LambdaFunctionSucceeded', {
        lambdaFunctionSucceededEventDetails: {
          output: stringify(result),
          outputDetails: { truncated: false },
        },
      });
    } else {
      this.emit(exec, frame, 'TaskSucceeded', {
        taskSucceededEventDetails: {
          resourceType: resource.resourceType,
          resource: resource.resource,
          output: stringify(result),
          outputDetails: { truncated: false },
        },
      });
    }
    this.saveFrame(exec, frame);
    return this.completeResult(exec, frame, result);
  }

  private armTaskTimers(exec: Execution, frame: Frame, phase: Extract<Phase, { kind: 'task' }>): void {
    this.clearFrameTimers(exec, frame);
    const fire = (error: 'States.Timeout' | 'States.HeartbeatTimeout') => (): void => {
      if (frame.phase !== phase || exec.record.status !== 'RUNNING') return;
      const resource = this.taskResource(exec, frame);
      const cause =
        error === 'States.Timeout'
          ? 'The task ran longer than its TimeoutSeconds'
          : 'The task sent no heartbeat within its HeartbeatSeconds';
      this.closeTask(exec, frame, phase);
      if (resource.kind === 'lambda-function') {
        this.emit(exec, frame, 'LambdaFunctionTimedOut', {
          lambdaFunctionTimedOutEventDetails: { error, cause },
        });
      } else {
        this.emit(exec, frame, 'TaskTimedOut', {
          taskTimedOutEventDetails: {
            resourceType: resource.resourceType,
            resource: resource.resource,
            error,
            cause,
          },
        });
      }
      this.saveFrame(exec, frame);
      void this.guard(exec, frame, () => this.handleError(exec, frame, new StatesError(error, cause)));
    };
    if (phase.timeoutAt !== undefined)
      this.addFrameTimer(exec, frame, phase.timeoutAt, fire('States.Timeout'));
    if (phase.heartbeatAt !== undefined)
      this.addFrameTimer(exec, frame, phase.heartbeatAt, fire('States.HeartbeatTimeout'));
  }

  /** Shapes a Task's result into its output and moves on. */
  private async completeResult(exec: Execution, frame: Frame, result: Json): Promise<void> {
    const phase = frame.phase;
    const state = stateOf(exec.definition, frame.container, frame.state);
    if (stateLanguage(exec.definition, state) === 'JSONata') {
      const output =
        'Output' in state
          ? await this.jsonata(exec, frame, state.Output ?? null, 'Output', { result })
          : result;
      const assigned = await this.assignments(exec, frame, state.Assign, null, { result });
      return this.transition(exec, frame, phase, state, output, assigned);
    }
    const selected =
      'ResultSelector' in state
        ? applyTemplate(
            state.ResultSelector ?? null,
            result,
            this.scope(exec, frame),
            `ResultSelector of state '${frame.state}'`,
          )
        : result;
    const assigned = await this.assignments(exec, frame, state.Assign, selected);
    return this.transition(
      exec,
      frame,
      phase,
      state,
      this.shapeOutput(exec, frame, state, frame.input, selected),
      assigned,
    );
  }

  // ---------------------------------------------------------------- Parallel and Map

  private async runContainer(
    exec: Execution,
    frame: Frame,
    state: JsonObject,
    jsonata: boolean,
    type: 'Parallel' | 'Map',
  ): Promise<void> {
    const phase = frame.phase;
    const effective = jsonata ? frame.input : this.effectiveInput(exec, frame, state);
    let items: Json[];
    let branchInput: Json = effective;
    if (type === 'Parallel') {
      if (jsonata && 'Arguments' in state)
        branchInput = await this.jsonata(exec, frame, state.Arguments ?? null, 'Arguments');
      else if (!jsonata && 'Parameters' in state)
        branchInput = applyTemplate(
          state.Parameters ?? null,
          effective,
          this.scope(exec, frame),
          `Parameters of state '${frame.state}'`,
        );
      items = Array.isArray(state.Branches) ? state.Branches.map(() => branchInput) : [];
    } else {
      let value: Json;
      if (jsonata)
        value =
          'Items' in state ? await this.jsonata(exec, frame, state.Items ?? null, 'Items') : frame.input;
      else
        value =
          typeof state.ItemsPath === 'string'
            ? selectPath(
                state.ItemsPath,
                effective,
                this.contextObject(exec, frame),
                `ItemsPath of state '${frame.state}'`,
              )
            : effective;
      if (!Array.isArray(value)) {
        throw new StatesError(
          jsonata ? 'States.QueryEvaluationError' : 'States.Runtime',
          `Map state '${frame.state}': the items must be a JSON array, got ${JSON.stringify(value).slice(0, 200)}`,
        );
      }
      items = value;
    }
    if (frame.phase !== phase) return;
    this.dropChildren(exec, frame);
    frame.phase = { kind: 'children', items, started: 0, done: 0, failed: 0 };
    if (type === 'Parallel') this.emit(exec, frame, 'ParallelStateStarted', {});
    else this.emit(exec, frame, 'MapStateStarted', { mapStateStartedEventDetails: { length: items.length } });
    this.saveFrame(exec, frame);
    this.afterChildChange(exec, frame);
  }

  private maxConcurrency(exec: Execution, frame: Frame, state: JsonObject): number {
    let v: Json | undefined = state.MaxConcurrency;
    if (typeof state.MaxConcurrencyPath === 'string') {
      v = selectPath(
        state.MaxConcurrencyPath,
        frame.input,
        this.contextObject(exec, frame),
        `MaxConcurrencyPath of state '${frame.state}'`,
      );
    }
    return typeof v === 'number' && v > 0 ? v : Number.POSITIVE_INFINITY;
  }

  /** Starts pending iterations and completes the state when every child is done. */
  private afterChildChange(exec: Execution, frame: Frame): void {
    const phase = frame.phase;
    if (phase.kind !== 'children' || frame.status !== 'running' || exec.record.status !== 'RUNNING') return;
    const state = stateOf(exec.definition, frame.container, frame.state);
    const type = stateType(state);
    if (type === 'Parallel') {
      while (phase.started < phase.items.length) {
        const i = phase.started++;
        const child = this.newFrame(
          exec,
          frame,
          branchKey(frame.container, frame.state, i),
          i,
          phase.items[i] ?? null,
          { ...frame.outer, ...frame.variables },
        );
        frame.children.push(child.id);
        this.schedule(exec, child);
      }
    } else {
      let limit: number;
      try {
        limit = this.maxConcurrency(exec, frame, state);
      } catch (error) {
        void this.guard(exec, frame, () => Promise.reject(error));
        return;
      }
      const running = phase.started - phase.done - phase.failed;
      let free = limit - running;
      while (free > 0 && phase.started < phase.items.length) {
        const i = phase.started++;
        free--;
        this.startIteration(exec, frame, i, phase.items[i] ?? null);
      }
    }
    this.saveFrame(exec, frame);
    if (phase.done + phase.failed >= phase.items.length && phase.started >= phase.items.length) {
      void this.guard(exec, frame, () => this.completeChildren(exec, frame, phase));
    }
  }

  private startIteration(exec: Execution, frame: Frame, index: number, item: Json): void {
    const outer = { ...frame.outer, ...frame.variables };
    const child = this.newFrame(exec, frame, mapKey(frame.container, frame.state), index, item, outer, item);
    child.phase = { kind: 'select' };
    frame.children.push(child.id);
    this.emit(exec, frame, 'MapIterationStarted', {
      mapIterationStartedEventDetails: { name: frame.state, index },
    });
    this.saveFrame(exec, child);
    this.schedule(exec, child);
  }

  /** Computes a Map iteration's input with the Map state's ItemSelector, in the Map's scope. */
  private async selectItem(exec: Execution, child: Frame, phase: Phase): Promise<void> {
    const parent = child.parent ? exec.frames.get(child.parent) : undefined;
    if (!parent) throw new Error(`Map iteration ${child.id} has no parent frame`);
    const state = stateOf(exec.definition, parent.container, parent.state);
    const selector = state.ItemSelector ?? state.Parameters;
    const item = child.item ?? null;
    let input: Json = item;
    if (selector !== undefined) {
      const mapContext: JsonObject = { Map: { Item: { Index: child.index, Value: item } } };
      try {
        input =
          stateLanguage(exec.definition, state) === 'JSONata'
            ? await this.jsonata(exec, parent, selector, 'ItemSelector', { context: mapContext })
            : applyTemplate(
                selector,
                this.effectiveInput(exec, parent, state),
                this.scope(exec, parent, mapContext),
                `ItemSelector of state '${parent.state}'`,
              );
      } catch (error) {
        if (child.phase !== phase) return;
        const se = toStatesError(error);
        this.failFrame(exec, child, se.error, se.causeText);
        return;
      }
    }
    if (child.phase !== phase) return;
    child.input = input;
    child.phase = { kind: 'enter' };
    this.saveFrame(exec, child);
    this.schedule(exec, child);
  }

  private dropChildren(exec: Execution, frame: Frame): void {
    for (const id of frame.children) {
      const child = exec.frames.get(id);
      if (child) {
        this.dropChildren(exec, child);
        this.clearFrameTimers(exec, child);
        if (child.phase.kind === 'task' && child.phase.token) this.tokens.delete(child.phase.token);
        child.status = 'aborted';
      }
      exec.frames.delete(id);
      this.store.deleteFrame(exec.record.arn, id);
    }
    frame.children = [];
  }

  private abortChildren(exec: Execution, frame: Frame): void {
    const state = stateOf(exec.definition, frame.container, frame.state);
    const type = stateType(state);
    for (const id of frame.children) {
      const child = exec.frames.get(id);
      if (child?.status !== 'running') continue;
      this.abortFrame(exec, child);
      if (type === 'Map')
        this.emit(exec, frame, 'MapIterationAborted', {
          mapIterationAbortedEventDetails: { name: frame.state, index: child.index },
        });
    }
  }

  /** Marks a running frame and its descendants aborted, keeping where they stood for a redrive. */
  private abortFrame(exec: Execution, frame: Frame): void {
    if (frame.status !== 'running') return;
    frame.status = 'aborted';
    this.clearFrameTimers(exec, frame);
    if (frame.phase.kind === 'task' && frame.phase.token) this.tokens.delete(frame.phase.token);
    for (const id of frame.children) {
      const child = exec.frames.get(id);
      if (child) this.abortFrame(exec, child);
    }
    this.saveFrame(exec, frame);
  }

  private async completeChildren(
    exec: Execution,
    frame: Frame,
    phase: Extract<Phase, { kind: 'children' }>,
  ): Promise<void> {
    if (frame.phase !== phase) return;
    const state = stateOf(exec.definition, frame.container, frame.state);
    const type = stateType(state);
    const children = frame.children
      .map((id) => exec.frames.get(id))
      .filter((f): f is Frame => f !== undefined);
    children.sort((a, b) => a.index - b.index);
    const results: Json[] = children.map((c) =>
      c.status === 'succeeded' ? (c.output ?? null) : { Error: c.error ?? '', Cause: c.cause ?? '' },
    );
    this.emit(exec, frame, type === 'Parallel' ? 'ParallelStateSucceeded' : 'MapStateSucceeded', {});
    this.saveFrame(exec, frame);
    let output: Json;
    let assigned: JsonObject | undefined;
    if (stateLanguage(exec.definition, state) === 'JSONata') {
      output =
        'Output' in state
          ? await this.jsonata(exec, frame, state.Output ?? null, 'Output', { result: results })
          : results;
      assigned = await this.assignments(exec, frame, state.Assign, null, { result: results });
    } else {
      const selected =
        'ResultSelector' in state
          ? applyTemplate(
              state.ResultSelector ?? null,
              results,
              this.scope(exec, frame),
              `ResultSelector of state '${frame.state}'`,
            )
          : results;
      assigned = await this.assignments(exec, frame, state.Assign, selected);
      output = this.shapeOutput(exec, frame, state, frame.input, selected);
    }
    if (frame.phase !== phase) return;
    this.dropChildren(exec, frame);
    return this.transition(exec, frame, phase, state, output, assigned);
  }

  /** A child frame ended (succeeded or failed): its Parallel or Map parent reacts. */
  private childEnded(exec: Execution, child: Frame): void {
    const parent = child.parent ? exec.frames.get(child.parent) : undefined;
    if (parent?.phase.kind !== 'children' || parent.status !== 'running') return;
    const phase = parent.phase;
    const state = stateOf(exec.definition, parent.container, parent.state);
    const type = stateType(state);
    if (child.status === 'succeeded') {
      phase.done++;
      if (type === 'Map')
        this.emit(exec, parent, 'MapIterationSucceeded', {
          mapIterationSucceededEventDetails: { name: parent.state, index: child.index },
        });
      this.afterChildChange(exec, parent);
      return;
    }
    phase.failed++;
    if (type === 'Map') {
      this.emit(exec, parent, 'MapIterationFailed', {
        mapIterationFailedEventDetails: { name: parent.state, index: child.index },
      });
      if (this.tolerated(state, phase)) {
        this.afterChildChange(exec, parent);
        return;
      }
    }
    this.abortChildren(exec, parent);
    const exceeded =
      type === 'Map' &&
      (state.ToleratedFailureCount !== undefined || state.ToleratedFailurePercentage !== undefined);
    this.emit(exec, parent, type === 'Parallel' ? 'ParallelStateFailed' : 'MapStateFailed', {});
    this.saveFrame(exec, parent);
    const error = exceeded
      ? new StatesError(
          'States.ExceedToleratedFailureThreshold',
          `The number of failed items in Map state '${parent.state}' exceeded the tolerated failure threshold`,
        )
      : new StatesError(child.error ?? 'States.BranchFailed', child.cause ?? '');
    void this.guard(exec, parent, () => this.handleError(exec, parent, error));
  }

  private tolerated(state: JsonObject, phase: Extract<Phase, { kind: 'children' }>): boolean {
    const count = state.ToleratedFailureCount;
    const pct = state.ToleratedFailurePercentage;
    if (typeof count === 'number' && phase.failed <= count) return true;
    if (typeof pct === 'number' && phase.items.length > 0 && (phase.failed * 100) / phase.items.length <= pct)
      return true;
    return false;
  }

  // ---------------------------------------------------------------- transitions, errors and endings

  private transition(
    exec: Execution,
    frame: Frame,
    phase: Phase,
    state: JsonObject,
    output: Json,
    assigned: JsonObject | undefined,
    nextOverride?: string,
  ): void {
    if (frame.phase !== phase || frame.status !== 'running' || exec.record.status !== 'RUNNING') return;
    const size = Buffer.byteLength(stringify(output));
    if (size > PAYLOAD_LIMIT) {
      this.failFrame(
        exec,
        frame,
        'States.DataLimitExceeded',
        `The state/task '${frame.state}' returned a result with a size exceeding the maximum number of bytes service limit.`,
      );
      return;
    }
    const type = stateType(state);
    const assignedText: JsonObject = {};
    if (assigned) for (const [k, v] of Object.entries(assigned)) assignedText[k] = stringify(v);
    if (type !== 'Fail') {
      this.emit(exec, frame, `${type}StateExited`, {
        stateExitedEventDetails: {
          name: frame.state,
          output: stringify(output),
          outputDetails: { truncated: false },
          ...(assigned
            ? { assignedVariables: assignedText, assignedVariablesDetails: { truncated: false } }
            : {}),
        },
      });
    }
    if (assigned) Object.assign(frame.variables, assigned);
    const next = nextOverride ?? (typeof state.Next === 'string' ? state.Next : undefined);
    if (next === undefined || type === 'Succeed') {
      this.succeedFrame(exec, frame, output);
      return;
    }
    frame.state = next;
    frame.input = output;
    frame.retries = [];
    frame.phase = { kind: 'enter' };
    this.saveFrame(exec, frame);
    this.schedule(exec, frame);
  }

  private async handleError(exec: Execution, frame: Frame, error: StatesError): Promise<void> {
    if (frame.status !== 'running' || exec.record.status !== 'RUNNING') return;
    const state = stateOf(exec.definition, frame.container, frame.state);
    const type = stateType(state);
    const handles = type === 'Task' || type === 'Parallel' || type === 'Map';
    if (!handles || TERMINAL_ERRORS.has(error.error)) {
      this.failFrame(exec, frame, error.error, error.causeText);
      return;
    }
    const retriers = Array.isArray(state.Retry) ? state.Retry : [];
    for (let i = 0; i < retriers.length; i++) {
      const r = retriers[i];
      if (!isObject(r) || !matches(r.ErrorEquals, error.error)) continue;
      const used = frame.retries[i] ?? 0;
      const max = typeof r.MaxAttempts === 'number' ? r.MaxAttempts : 3;
      if (used >= max) break;
      frame.retries[i] = used + 1;
      const interval = typeof r.IntervalSeconds === 'number' ? r.IntervalSeconds : 1;
      const rate = typeof r.BackoffRate === 'number' ? r.BackoffRate : 2;
      let delay = interval * rate ** used;
      if (typeof r.MaxDelaySeconds === 'number') delay = Math.min(delay, r.MaxDelaySeconds);
      if (r.JitterStrategy === 'FULL') delay = Math.random() * delay;
      if (frame.phase.kind === 'children') this.dropChildren(exec, frame);
      this.clearFrameTimers(exec, frame);
      frame.phase = {
        kind: 'retry',
        until: this.clock.now() + delay * 1000,
        error: error.error,
        cause: error.causeText,
      };
      this.saveFrame(exec, frame);
      this.armRetry(exec, frame);
      return;
    }
    const catchers = Array.isArray(state.Catch) ? state.Catch : [];
    for (const c of catchers) {
      if (!isObject(c) || !matches(c.ErrorEquals, error.error) || typeof c.Next !== 'string') continue;
      const errorOutput: JsonObject = { Error: error.error, Cause: error.causeText };
      const phase = frame.phase;
      let output: Json;
      let assigned: JsonObject | undefined;
      if (stateLanguage(exec.definition, state) === 'JSONata') {
        output =
          'Output' in c
            ? await this.jsonata(exec, frame, c.Output ?? null, 'Catch.Output', { errorOutput })
            : errorOutput;
        assigned = await this.assignments(exec, frame, c.Assign, null, { errorOutput });
      } else {
        assigned = await this.assignments(exec, frame, c.Assign, errorOutput);
        const rp = 'ResultPath' in c ? c.ResultPath : '$';
        output =
          rp === null ? frame.input : setPath(frame.input, typeof rp === 'string' ? rp : '$', errorOutput);
      }
      if (frame.phase !== phase) return;
      this.dropChildren(exec, frame);
      this.clearFrameTimers(exec, frame);
      const running: Phase = { kind: 'running' };
      frame.phase = running;
      return this.transition(exec, frame, running, { ...state, Next: c.Next }, output, assigned);
    }
    this.failFrame(exec, frame, error.error, error.causeText);
  }

  private armRetry(exec: Execution, frame: Frame): void {
    const phase = frame.phase;
    if (phase.kind !== 'retry') return;
    this.addFrameTimer(exec, frame, phase.until, () => {
      if (frame.phase !== phase || exec.record.status !== 'RUNNING') return;
      this.clearFrameTimers(exec, frame);
      exec.record.billed++;
      frame.phase = { kind: 'running' };
      this.saveFrame(exec, frame);
      this.saveHeader(exec);
      void this.guard(exec, frame, () => this.execute(exec, frame));
    });
  }

  private succeedFrame(exec: Execution, frame: Frame, output: Json): void {
    frame.status = 'succeeded';
    frame.output = output;
    this.clearFrameTimers(exec, frame);
    this.saveFrame(exec, frame);
    if (!frame.parent) {
      this.finish(exec, 'SUCCEEDED', { output: stringify(output) });
      return;
    }
    this.childEnded(exec, frame);
  }

  private failFrame(exec: Execution, frame: Frame, error: string, cause: string): void {
    if (frame.status !== 'running') return;
    frame.status = 'failed';
    frame.error = error;
    frame.cause = cause;
    this.clearFrameTimers(exec, frame);
    if (frame.phase.kind === 'task' && frame.phase.token) this.tokens.delete(frame.phase.token);
    this.saveFrame(exec, frame);
    if (!frame.parent) {
      this.finish(exec, 'FAILED', { error, cause });
      return;
    }
    this.childEnded(exec, frame);
  }

  /** Closes an execution: its history event, its header, its timers, then (once durable) its status event. */
  private finish(
    exec: Execution,
    status: 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED',
    how: { output?: string; error?: string; cause?: string },
  ): void {
    const r = exec.record;
    if (r.status !== 'RUNNING') return;
    r.status = status;
    r.stopDate = this.clock.now();
    if (how.output !== undefined) r.output = how.output;
    if (how.error !== undefined) r.error = how.error;
    if (how.cause !== undefined) r.cause = how.cause;
    for (const f of exec.frames.values()) this.abortFrame(exec, f);
    const t = this.executionTimers.get(r.arn);
    if (t) this.clock.clearTimer(t);
    this.executionTimers.delete(r.arn);
    const detailsKey = {
      SUCCEEDED: 'executionSucceededEventDetails',
      FAILED: 'executionFailedEventDetails',
      TIMED_OUT: 'executionTimedOutEventDetails',
      ABORTED: 'executionAbortedEventDetails',
    }[status];
    const details: JsonObject =
      status === 'SUCCEEDED'
        ? { output: how.output ?? 'null', outputDetails: { truncated: false } }
        : {
            ...(how.error !== undefined ? { error: how.error } : {}),
            ...(how.cause !== undefined ? { cause: how.cause } : {}),
          };
    const type = {
      SUCCEEDED: 'ExecutionSucceeded',
      FAILED: 'ExecutionFailed',
      TIMED_OUT: 'ExecutionTimedOut',
      ABORTED: 'ExecutionAborted',
    }[status];
    this.emit(exec, undefined, type, { [detailsKey]: details });
    this.saveHeader(exec);
    void this.store.flush().then(() => this.publishStatus(exec));
  }

  private publishStatus(exec: Execution): void {
    if (this.listeners.size === 0) return;
    const r = exec.record;
    const redrive = this.redriveStatus(exec);
    const event: StatusChangeEvent = {
      version: '0',
      id: randomUUID(),
      'detail-type': 'Step Functions Execution Status Change',
      source: 'aws.states',
      account: this.accountId,
      time: iso(this.clock.now()).replace(/\.\d{3}Z$/, 'Z'),
      region: this.region,
      resources: [r.arn],
      detail: {
        executionArn: r.arn,
        stateMachineArn: r.machineArn,
        name: r.name,
        status: r.status,
        startDate: r.startDate,
        stopDate: r.stopDate ?? null,
        input: r.input,
        inputDetails: { included: true },
        output: r.output ?? null,
        outputDetails: r.output !== undefined ? { included: true } : null,
        error: r.error ?? null,
        cause: r.cause ?? null,
        redriveCount: r.redriveCount,
        redriveDate: r.redriveDate ?? null,
        redriveStatus: redrive.status,
        redriveStatusReason: redrive.reason ?? '',
      },
    };
    for (const listener of this.listeners) {
      try {
        listener(event);
      } catch {
        // A listener's failure is its own; the engine goes on.
      }
    }
  }

  // ---------------------------------------------------------------- recovery

  /** Re-arms what a running execution was waiting for when the process stopped. */
  private recover(exec: Execution): void {
    this.armExecutionTimeout(exec);
    for (const frame of exec.frames.values()) {
      if (frame.status !== 'running') continue;
      const phase = frame.phase;
      switch (phase.kind) {
        case 'enter':
        case 'select':
        case 'result':
          this.schedule(exec, frame);
          break;
        case 'running':
          // Interrupted while computing the state: compute it again from its input.
          setImmediate(() => void this.guard(exec, frame, () => this.execute(exec, frame)));
          break;
        case 'wait':
          this.armWait(exec, frame);
          break;
        case 'retry':
          this.armRetry(exec, frame);
          break;
        case 'task': {
          if (phase.token) this.tokens.set(phase.token, { arn: exec.record.arn, frame: frame.id });
          this.armTaskTimers(exec, frame, phase);
          if (!phase.submitted) {
            // The call may or may not have happened: Step Functions calls tasks at least once.
            const resource = this.taskResource(exec, frame);
            setImmediate(() => void this.guard(exec, frame, () => this.invoke(exec, frame, phase, resource)));
          }
          break;
        }
        case 'children':
          setImmediate(() => this.afterChildChange(exec, frame));
          break;
      }
    }
  }
}

const stateType = (state: JsonObject): string => (typeof state.Type === 'string' ? state.Type : 'Unknown');

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

const matches = (errorEquals: Json | undefined, error: string): boolean => {
  if (!Array.isArray(errorEquals)) return false;
  return errorEquals.some((e) => {
    if (e === error || e === 'States.ALL') return true;
    if (e === 'States.TaskFailed') return error !== 'States.Timeout' && error !== 'States.HeartbeatTimeout';
    if (e === 'States.Timeout') return error === 'States.HeartbeatTimeout';
    return false;
  });
};

const toStatesError = (error: unknown): StatesError => {
  if (error instanceof StatesError) return error;
  return new StatesError('States.Runtime', error instanceof Error ? error.message : String(error), {
    cause: error,
  });
};

const encodeToken = (arn: string, frame: string): string =>
  Buffer.from(JSON.stringify({ a: arn, f: frame, n: randomBytes(12).toString('base64url') })).toString(
    'base64url',
  );

const decodeToken = (token: string): { arn: string; frame: string } | undefined => {
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
