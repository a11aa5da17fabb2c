import { randomBytes, randomUUID } from 'node:crypto';
import type { Clock, Timer } from '../../lib/clock.ts';
import type { FunctionRegistry } from '../lambda/registry.ts';
import { evaluateRule, parseTimestamp } from './choice.ts';
import { branchKey, containerOf, type Definition, mapKey, stateLanguage, stateOf } from './definition.ts';
import { StatesError, TERMINAL_ERRORS } from './errors.ts';
import { callTask, type Integrations, type ParsedResource, parseResource } from './integrations.ts';
import { isObject, type Json, type JsonObject, parseJson, stringify } from './json.ts';
import { selectPath, setPath } from './jsonpath.ts';
import {
  CLOSING_EVENTS,
  HISTORY_LIMIT,
  HISTORY_LIMIT_CAUSE,
  HISTORY_LIMIT_ERROR,
  inputTooLarge,
  overPayloadLimit,
  resultTooLarge,
} from './limits.ts';
import type { ExecutionRecord, Frame, HistoryEvent, MachineRecord, Phase } from './model.ts';
import { applyTemplate, evaluateJsonata, type Scope } from './payload.ts';
import { errorMatches, maxAttempts, retryDelaySeconds } from './retry.ts';
import type { StatusChangeEvent, StatusListener } from './status-event.ts';
import { Store, type StoredState } from './store.ts';

/**
 * The interpreter of the Amazon States Language behind the local engine: it runs frames (the top
 * level, Parallel branches, Map iterations) state by state, handles Retry and Catch, arms the timers
 * of Wait states, retries, task timeouts and heartbeats on the shared clock, records the history and
 * persists every change through the store, and re-arms all of it after a restart.
 */

export interface EngineOptions {
  readonly stateDir: string;
  readonly clock: Clock;
  readonly region: string;
  readonly accountId: string;
  readonly functions: FunctionRegistry;
  readonly integrations?: Integrations;
  /**
   * The integrations an execution calls with, by its state machine's role (its credentials and its
   * identity to Lambda); `integrations` for every role when absent.
   */
  readonly integrationsForRole?: (roleArn: string) => Integrations;
}

/** Step Functions Standard's price per state transition, in USD ($0.025 per 1,000). */
export const PRICE_PER_TRANSITION_USD = 0.000025;
export const REDRIVE_WINDOW_MS = 14 * 24 * 3600 * 1000;
export const MAX_REDRIVES = 1000;
export const MAX_EXECUTION_MS = 365 * 24 * 3600 * 1000;
export const DEFAULT_TASK_TIMEOUT_S = 99_999_999;

export const secs = (ms: number): number => ms / 1000;
export const iso = (ms: number): string => new Date(ms).toISOString();

/** One execution in memory: its header, its frames, its history, and the definition it runs. */
export interface Execution {
  readonly record: ExecutionRecord;
  readonly frames: Map<string, Frame>;
  readonly events: HistoryEvent[];
  readonly definition: Definition;
}

export abstract class Interpreter {
  readonly clock: Clock;
  readonly region: string;
  readonly accountId: string;
  protected readonly functions: FunctionRegistry;
  protected readonly integrations: Integrations;
  private readonly integrationsForRole: ((roleArn: string) => Integrations) | undefined;
  protected readonly store: Store;
  protected readonly machines = new Map<string, MachineRecord>();
  protected readonly definitionTexts = new Map<string, string>();
  protected readonly executions = new Map<string, Execution>();
  protected readonly tokens = new Map<string, { arn: string; frame: string }>();
  protected readonly frameTimers = new Map<string, Timer[]>();
  protected readonly executionTimers = new Map<string, Timer>();
  protected readonly listeners = new Set<StatusListener>();
  protected closed = false;

  constructor(options: EngineOptions) {
    this.clock = options.clock;
    this.region = options.region;
    this.accountId = options.accountId;
    this.functions = options.functions;
    this.integrations = options.integrations ?? {};
    this.integrationsForRole = options.integrationsForRole;
    this.store = new Store(options.stateDir, () => this.dump());
  }

  protected dump(): StoredState {
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

  // ---------------------------------------------------------------- redrive

  /** Whether RedriveExecution would accept this execution, with AWS's reasons when it would not. */
  protected redriveStatus(exec: Execution): { status: string; reason?: string } {
    const r = exec.record;
    const refuse = (reason: string) => ({ status: 'NOT_REDRIVABLE', reason });
    if (r.status === 'RUNNING') return refuse('Execution is RUNNING and cannot be redriven.');
    if (r.status === 'SUCCEEDED') return refuse('Execution is SUCCEEDED and cannot be redriven.');
    if (this.machines.get(r.machineArn)?.type === 'EXPRESS')
      return refuse('Express executions cannot be redriven.');
    if (r.stopDate !== undefined && this.clock.now() - r.stopDate > REDRIVE_WINDOW_MS) {
      return refuse('Execution redrivable period exceeded.');
    }
    if (exec.events.length >= HISTORY_LIMIT) return refuse('Execution history event limit exceeded.');
    if (this.clock.now() - r.startDate > MAX_EXECUTION_MS)
      return refuse('Execution has exceeded the max execution time.');
    if (r.redriveCount >= MAX_REDRIVES) return refuse(`Execution has been redriven ${MAX_REDRIVES} times.`);
    return { status: 'REDRIVABLE' };
  }

  protected resumeForRedrive(exec: Execution, frame: Frame): void {
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

  // ---------------------------------------------------------------- tasks closing

  /** Ends the waiting part of a task: its token and timers go; the frame holds the next phase. */
  protected closeTask(
    exec: Execution,
    frame: Frame,
    phase: Extract<Phase, { kind: 'task' }>,
    next: Phase = { kind: 'running' },
  ): void {
    if (phase.token) this.tokens.delete(phase.token);
    this.clearFrameTimers(exec, frame);
    frame.phase = next;
  }

  // ---------------------------------------------------------------- persistence helpers

  protected saveHeader(exec: Execution): void {
    this.store.putExecution(exec.record);
  }

  protected saveFrame(exec: Execution, frame: Frame): void {
    this.store.putFrame(exec.record.arn, frame);
  }

  protected newFrame(
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

  /**
   * Records a history event. Event number 25,000 can only end the execution: any other event there
   * fails it instead (States.Runtime, as on AWS) and is not recorded, nor is anything after the end.
   */
  protected emit(
    exec: Execution,
    frame: Frame | undefined,
    type: string,
    details: JsonObject,
  ): HistoryEvent | undefined {
    if (exec.record.nextEventId >= HISTORY_LIMIT && !CLOSING_EVENTS.has(type)) {
      this.finish(exec, 'FAILED', { error: HISTORY_LIMIT_ERROR, cause: HISTORY_LIMIT_CAUSE });
      return undefined;
    }
    if (exec.record.nextEventId > HISTORY_LIMIT) return undefined;
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

  protected timerKey(exec: Execution, frame: Frame): string {
    return `${exec.record.arn} ${frame.id}`;
  }

  protected clearFrameTimers(exec: Execution, frame: Frame): void {
    const key = this.timerKey(exec, frame);
    for (const t of this.frameTimers.get(key) ?? []) this.clock.clearTimer(t);
    this.frameTimers.delete(key);
  }

  protected addFrameTimer(exec: Execution, frame: Frame, at: number, fn: () => void): void {
    if (this.closed) return;
    const key = this.timerKey(exec, frame);
    const list = this.frameTimers.get(key) ?? [];
    list.push(this.clock.setTimer(at, fn));
    this.frameTimers.set(key, list);
  }

  protected armExecutionTimeout(exec: Execution): void {
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
  protected schedule(exec: Execution, frame: Frame): void {
    if (this.closed) return;
    const phase = frame.phase;
    setImmediate(() => {
      if (frame.phase !== phase) return;
      void this.guard(exec, frame, () => this.step(exec, frame));
    });
  }

  /** Runs `fn` for a frame and turns any failure it raises into the state's error. */
  protected async guard(exec: Execution, frame: Frame, fn: () => Promise<void> | void): Promise<void> {
    if (this.closed || exec.record.status !== 'RUNNING' || frame.status !== 'running') return;
    try {
      await fn();
    } catch (error) {
      if (this.closed || exec.record.status !== 'RUNNING' || frame.status !== 'running') return;
      const se = toStatesError(error);
      if (se.error === 'States.QueryEvaluationError') {
        this.emit(exec, frame, 'EvaluationFailed', {
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

  protected async step(exec: Execution, frame: Frame): Promise<void> {
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
      const inputText = stringify(frame.input);
      if (overPayloadLimit(inputText)) throw inputTooLarge(frame.state);
      frame.enteredAt = this.clock.now();
      frame.retries = [];
      exec.record.billed++;
      this.emit(exec, frame, `${stateType(state)}StateEntered`, {
        stateEnteredEventDetails: {
          name: frame.state,
          input: inputText,
          inputDetails: { truncated: false },
        },
      });
      frame.phase = { kind: 'running' };
      this.saveFrame(exec, frame);
      if (exec.record.status !== 'RUNNING') return;
    }
    await this.execute(exec, frame);
  }

  protected scope(exec: Execution, frame: Frame, extra?: JsonObject): Scope {
    return {
      context: this.contextObject(exec, frame, extra),
      variables: { ...frame.outer, ...frame.variables },
    };
  }

  protected contextObject(exec: Execution, frame: Frame, extra?: JsonObject): JsonObject {
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

  protected jsonata(
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
  protected effectiveInput(exec: Execution, frame: Frame, state: JsonObject): Json {
    if (!('InputPath' in state)) return frame.input;
    const p = state.InputPath;
    if (p === null) return {};
    if (typeof p !== 'string') throw new StatesError('States.Runtime', 'InputPath must be a path');
    return selectPath(p, frame.input, this.contextObject(exec, frame), `InputPath of state '${frame.state}'`);
  }

  /** ResultPath then OutputPath, as a JSONPath state shapes its output. */
  protected shapeOutput(
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

  protected outputPath(exec: Execution, frame: Frame, state: JsonObject, value: Json): Json {
    if (!('OutputPath' in state)) return value;
    const p = state.OutputPath;
    if (p === null) return {};
    if (typeof p !== 'string') throw new StatesError('States.Runtime', 'OutputPath must be a path');
    return selectPath(p, value, this.contextObject(exec, frame), `OutputPath of state '${frame.state}'`);
  }

  protected async assignments(
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
  protected async execute(exec: Execution, frame: Frame): Promise<void> {
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

  protected pathOrIntrinsic(path: string, data: Json, scope: Scope, field: string): Json {
    const v = applyTemplate({ 'v.$': path }, data, scope, field);
    return isObject(v) ? (v.v ?? null) : null;
  }

  protected async runChoice(
    exec: Execution,
    frame: Frame,
    state: JsonObject,
    jsonata: boolean,
  ): Promise<void> {
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

  protected async runWait(exec: Execution, frame: Frame, state: JsonObject, jsonata: boolean): Promise<void> {
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

  protected armWait(exec: Execution, frame: Frame): void {
    const phase = frame.phase;
    if (phase.kind !== 'wait') return;
    this.addFrameTimer(exec, frame, phase.until, () => {
      if (frame.phase !== phase) return;
      this.clearFrameTimers(exec, frame);
      frame.phase = { kind: 'running' };
      void this.guard(exec, frame, () => this.finishWait(exec, frame));
    });
  }

  protected async finishWait(exec: Execution, frame: Frame): Promise<void> {
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

  protected async secondsField(
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

  protected taskResource(exec: Execution, frame: Frame): ParsedResource {
    const state = stateOf(exec.definition, frame.container, frame.state);
    return parseResource(typeof state.Resource === 'string' ? state.Resource : '');
  }

  protected async runTask(exec: Execution, frame: Frame, state: JsonObject, jsonata: boolean): Promise<void> {
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
    const paramsText = stringify(params);
    if (overPayloadLimit(paramsText)) throw inputTooLarge(frame.state);
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
          input: paramsText,
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
          parameters: paramsText,
          timeoutInSeconds: timeoutSeconds,
          ...(heartbeatSeconds !== undefined ? { heartbeatInSeconds: heartbeatSeconds } : {}),
        },
      });
    }
    this.saveFrame(exec, frame);
    if (exec.record.status !== 'RUNNING') return;
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
    if (exec.record.status !== 'RUNNING') return;
    await this.invoke(exec, frame, next, resource);
  }

  /** Calls the task's resource; for a callback task, only delivers the token and keeps waiting. */
  protected async invoke(
    exec: Execution,
    frame: Frame,
    phase: Extract<Phase, { kind: 'task' }>,
    resource: ParsedResource,
  ): Promise<void> {
    let result: Json;
    let resultText = '';
    try {
      result = await callTask({
        resource,
        arn: resource.resource,
        params: phase.params,
        functions: this.functions,
        clock: this.clock,
        integrations: this.integrationsForRole?.(exec.record.roleArn) ?? this.integrations,
      });
      // What the integration returns is held to the payload quota (a callback's answer is, at SendTaskSuccess).
      if (!phase.token) {
        resultText = stringify(result);
        if (overPayloadLimit(resultText)) throw resultTooLarge(taskName(resource, phase.params));
      }
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
          output: resultText,
          outputDetails: { truncated: false },
        },
      });
    } else {
      this.emit(exec, frame, 'TaskSucceeded', {
        taskSucceededEventDetails: {
          resourceType: resource.resourceType,
          resource: resource.resource,
          output: resultText,
          outputDetails: { truncated: false },
        },
      });
    }
    this.saveFrame(exec, frame);
    return this.completeResult(exec, frame, result);
  }

  protected armTaskTimers(exec: Execution, frame: Frame, phase: Extract<Phase, { kind: 'task' }>): void {
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
  protected async completeResult(exec: Execution, frame: Frame, result: Json): Promise<void> {
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

  protected async runContainer(
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

  protected maxConcurrency(exec: Execution, frame: Frame, state: JsonObject): number {
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
  protected afterChildChange(exec: Execution, frame: Frame): void {
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

  protected startIteration(exec: Execution, frame: Frame, index: number, item: Json): void {
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
  protected async selectItem(exec: Execution, child: Frame, phase: Phase): Promise<void> {
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

  protected dropChildren(exec: Execution, frame: Frame): void {
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

  protected abortChildren(exec: Execution, frame: Frame): void {
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
  protected abortFrame(exec: Execution, frame: Frame): void {
    if (frame.status !== 'running') return;
    frame.status = 'aborted';
    this.clearFrameTimers(exec, frame);
    if (frame.phase.kind === 'task' && frame.phase.token) this.tokens.delete(frame.phase.token);
    for (const id of frame.children) {
      const child = exec.frames.get(id);
      if (child) this.abortFrame(exec, child);
    }
    // A state stopped mid-way says so in the history, as Step Functions does for these types.
    const type = stateType(stateOf(exec.definition, frame.container, frame.state));
    if (frame.phase.kind !== 'enter' && ABORTABLE.has(type))
      this.emit(exec, frame, `${type}StateAborted`, {});
    this.saveFrame(exec, frame);
  }

  protected async completeChildren(
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
  protected childEnded(exec: Execution, child: Frame): void {
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

  protected tolerated(state: JsonObject, phase: Extract<Phase, { kind: 'children' }>): boolean {
    const count = state.ToleratedFailureCount;
    const pct = state.ToleratedFailurePercentage;
    if (typeof count === 'number' && phase.failed <= count) return true;
    if (typeof pct === 'number' && phase.items.length > 0 && (phase.failed * 100) / phase.items.length <= pct)
      return true;
    return false;
  }

  // ---------------------------------------------------------------- transitions, errors and endings

  protected transition(
    exec: Execution,
    frame: Frame,
    phase: Phase,
    state: JsonObject,
    output: Json,
    assigned: JsonObject | undefined,
    nextOverride?: string,
  ): void {
    if (frame.phase !== phase || frame.status !== 'running' || exec.record.status !== 'RUNNING') return;
    const outputText = stringify(output);
    if (overPayloadLimit(outputText)) {
      const error = resultTooLarge(frame.state);
      this.failFrame(exec, frame, error.error, error.causeText);
      return;
    }
    const type = stateType(state);
    const assignedText: JsonObject = {};
    if (assigned) for (const [k, v] of Object.entries(assigned)) assignedText[k] = stringify(v);
    if (type !== 'Fail') {
      this.emit(exec, frame, `${type}StateExited`, {
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

  protected async handleError(exec: Execution, frame: Frame, error: StatesError): Promise<void> {
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
      if (!isObject(r) || !errorMatches(r.ErrorEquals, error.error)) continue;
      const used = frame.retries[i] ?? 0;
      // A matching retrier with no attempts left hands the error to Catch, not to a later retrier.
      if (used >= maxAttempts(r)) break;
      frame.retries[i] = used + 1;
      const delay = retryDelaySeconds(r, used);
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
      if (!isObject(c) || !errorMatches(c.ErrorEquals, error.error) || typeof c.Next !== 'string') continue;
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

  protected armRetry(exec: Execution, frame: Frame): void {
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

  protected succeedFrame(exec: Execution, frame: Frame, output: Json): void {
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

  protected failFrame(exec: Execution, frame: Frame, error: string, cause: string): void {
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
  protected finish(
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
    // The event is taken now and sent once the end is durable: a redrive accepted in between must not
    // turn this FAILED into a second RUNNING (the outcome recorder would never hear of the failure).
    const event = this.statusEvent(exec);
    void this.store.flush().then(() => this.deliverStatus(event));
  }

  /** Sends the execution's current status, once what it reports is durable. */
  protected async publishStatus(exec: Execution): Promise<void> {
    const event = this.statusEvent(exec);
    await this.store.flush();
    this.deliverStatus(event);
  }

  /** The status-change event of the execution as it stands now, or undefined when nobody listens. */
  private statusEvent(exec: Execution): StatusChangeEvent | undefined {
    if (this.listeners.size === 0) return undefined;
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
        stateMachineVersionArn: null,
        stateMachineAliasArn: null,
      },
    };
    return event;
  }

  private deliverStatus(event: StatusChangeEvent | undefined): void {
    if (event === undefined) return;
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
  protected recover(exec: Execution): void {
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

const ABORTABLE = new Set(['Task', 'Wait', 'Parallel', 'Map']);

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

const stateType = (state: JsonObject): string => (typeof state.Type === 'string' ? state.Type : 'Unknown');

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
