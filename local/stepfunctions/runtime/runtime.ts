import type { Clock, Timer } from '../../../lib/clock.ts';
import type { FunctionRegistry } from '../../lambda/registry.ts';
import { containerOf } from '../definition.ts';
import type { Integrations } from '../integrations.ts';
import type { Json, JsonObject } from '../json.ts';
import { CLOSING_EVENTS, HISTORY_LIMIT } from '../limits.ts';
import type { Execution, ExecutionRecord, Frame, HistoryEvent, MachineRecord } from '../model.ts';
import type { StatusListener } from '../status-event.ts';
import { Store, type StoredState } from '../store.ts';

/**
 * What the interpreter and the API share: the state machines, executions with their frames and
 * history, the callback tokens, the timers on the shared clock, and the durable store behind them.
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

export class Runtime {
  readonly clock: Clock;
  readonly region: string;
  readonly accountId: string;
  readonly functions: FunctionRegistry;
  readonly store: Store;
  readonly machines = new Map<string, MachineRecord>();
  readonly definitionTexts = new Map<string, string>();
  readonly executions = new Map<string, Execution>();
  /** Waiting callback tokens: the execution and frame each belongs to. */
  readonly tokens = new Map<string, { arn: string; frame: string }>();
  readonly listeners = new Set<StatusListener>();
  private readonly integrations: Integrations;
  private readonly integrationsForRole: ((roleArn: string) => Integrations) | undefined;
  private readonly frameTimers = new Map<string, Timer[]>();
  private readonly executionTimers = new Map<string, Timer>();
  private isClosed = false;
  /** What to do when the next event would pass the history quota (the interpreter fails the execution). */
  historyFull: (exec: Execution) => void = () => {};

  constructor(options: EngineOptions) {
    this.clock = options.clock;
    this.region = options.region;
    this.accountId = options.accountId;
    this.functions = options.functions;
    this.integrations = options.integrations ?? {};
    this.integrationsForRole = options.integrationsForRole;
    this.store = new Store(options.stateDir, () => this.dump());
  }

  get closed(): boolean {
    return this.isClosed;
  }

  /** The integrations an execution's tasks call with. */
  integrationsFor(roleArn: string): Integrations {
    return this.integrationsForRole?.(roleArn) ?? this.integrations;
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

  /** Stops every timer and closes the store. Running executions stay running on disk. */
  close(): void {
    if (this.isClosed) return;
    this.isClosed = true;
    for (const timers of this.frameTimers.values()) for (const t of timers) this.clock.clearTimer(t);
    for (const t of this.executionTimers.values()) this.clock.clearTimer(t);
    this.frameTimers.clear();
    this.executionTimers.clear();
    this.store.close();
  }

  // ---------------------------------------------------------------- persistence

  saveHeader(exec: Execution): void {
    this.store.putExecution(exec.record);
  }

  saveFrame(exec: Execution, frame: Frame): void {
    this.store.putFrame(exec.record.arn, frame);
  }

  deleteFrame(exec: Execution, id: string): void {
    exec.frames.delete(id);
    this.store.deleteFrame(exec.record.arn, id);
  }

  /** A new frame at the start of a states container: the root (no parent), a branch or an iteration. */
  newFrame(
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

  // ---------------------------------------------------------------- history

  /**
   * Records a history event. Event number 25,000 can only end the execution: any other event there
   * fails it instead (States.Runtime, as on AWS) and is not recorded, nor is anything after the end.
   */
  emit(
    exec: Execution,
    frame: Frame | undefined,
    type: string,
    details: JsonObject,
  ): HistoryEvent | undefined {
    if (exec.record.nextEventId >= HISTORY_LIMIT && !CLOSING_EVENTS.has(type)) {
      this.historyFull(exec);
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

  // ---------------------------------------------------------------- timers and tokens

  private timerKey(exec: Execution, frame: Frame): string {
    return `${exec.record.arn} ${frame.id}`;
  }

  clearFrameTimers(exec: Execution, frame: Frame): void {
    const key = this.timerKey(exec, frame);
    for (const t of this.frameTimers.get(key) ?? []) this.clock.clearTimer(t);
    this.frameTimers.delete(key);
  }

  addFrameTimer(exec: Execution, frame: Frame, at: number, fn: () => void): void {
    if (this.isClosed) return;
    const key = this.timerKey(exec, frame);
    const list = this.frameTimers.get(key) ?? [];
    list.push(this.clock.setTimer(at, fn));
    this.frameTimers.set(key, list);
  }

  /** Arms (or, with no `at`, only clears) the execution's own timer: its machine-level TimeoutSeconds. */
  setExecutionTimer(exec: Execution, at: number | undefined, fn: () => void): void {
    this.clearExecutionTimer(exec);
    if (at === undefined || this.isClosed) return;
    this.executionTimers.set(exec.record.arn, this.clock.setTimer(at, fn));
  }

  clearExecutionTimer(exec: Execution): void {
    const old = this.executionTimers.get(exec.record.arn);
    if (old) this.clock.clearTimer(old);
    this.executionTimers.delete(exec.record.arn);
  }

  /** A frame stops waiting: its timers go, and its callback token if it had one. */
  release(exec: Execution, frame: Frame): void {
    this.clearFrameTimers(exec, frame);
    if (frame.phase.kind === 'task' && frame.phase.token) this.tokens.delete(frame.phase.token);
  }
}
