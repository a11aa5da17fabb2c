import type { Clock } from '../../lib/clock.ts';
import * as callbacks from './api/callbacks.ts';
import * as executions from './api/executions.ts';
import * as machines from './api/machines.ts';
import { loadDefinition } from './definition.ts';
import { apiError } from './errors.ts';
import { Interpreter } from './interpreter.ts';
import type { JsonObject } from './json.ts';
import type { Execution } from './model.ts';
import { recover } from './runtime/recovery.ts';
import { type EngineOptions, Runtime } from './runtime/runtime.ts';
import type { StatusListener } from './status-event.ts';

export type { EngineOptions } from './runtime/runtime.ts';
export type { StatusChangeEvent, StatusListener } from './status-event.ts';

/** Step Functions Standard's price per state transition, in USD ($0.025 per 1,000). */
export const PRICE_PER_TRANSITION_USD = 0.000025;

/**
 * The local Step Functions engine: the API over state machines, executions and their histories. It
 * holds the runtime (what is kept, in memory and in `<stateDir>/stepfunctions/`) and the interpreter
 * that runs executions, so every execution goes on after kill -9 and a restart, with its timers due at
 * their original times on the shared clock.
 */
export class StepFunctionsEngine {
  readonly clock: Clock;
  readonly region: string;
  readonly accountId: string;
  private readonly rt: Runtime;
  private readonly interpreter: Interpreter;
  private opening: Promise<void> | undefined;

  constructor(options: EngineOptions) {
    this.rt = new Runtime(options);
    this.interpreter = new Interpreter(this.rt);
    this.clock = options.clock;
    this.region = options.region;
    this.accountId = options.accountId;
  }

  /** Loads the state directory and resumes every running execution where it stood. */
  open(): Promise<void> {
    this.opening ??= this.load();
    return this.opening;
  }

  private async load(): Promise<void> {
    const rt = this.rt;
    const state = rt.store.load();
    for (const [hash, text] of state.definitions) rt.definitionTexts.set(hash, text);
    for (const m of state.machines.values()) rt.machines.set(m.arn, m);
    for (const record of state.executions.values()) {
      const text = rt.definitionTexts.get(record.definitionHash);
      if (text === undefined) continue;
      const exec: Execution = {
        record,
        frames: state.frames.get(record.arn) ?? new Map(),
        events: state.events.get(record.arn) ?? [],
        definition: loadDefinition(text),
      };
      // Events beyond the header's count belong to a commit the header did not reach: drop them.
      if (exec.events.length > record.nextEventId - 1) exec.events.length = record.nextEventId - 1;
      rt.executions.set(record.arn, exec);
    }
    for (const exec of rt.executions.values()) {
      if (exec.record.status === 'RUNNING') recover(this.interpreter, exec);
    }
  }

  /** True once closed: the API must not answer for changes that would no longer be kept. */
  get closed(): boolean {
    return this.rt.closed;
  }

  /** Stops timers and writes what is pending. Running executions stay running on disk. */
  async close(): Promise<void> {
    this.rt.close();
  }

  onStatusChange(listener: StatusListener): () => void {
    this.rt.listeners.add(listener);
    return () => this.rt.listeners.delete(listener);
  }

  /** Store statistics (group commits, bytes written): for the benchmark. */
  storeStats(): { commits: number; bytes: number } {
    return { ...this.rt.store.stats };
  }

  /** Resolves once everything done so far is durable. */
  flush(): Promise<void> {
    return this.rt.store.flush();
  }

  // ---------------------------------------------------------------- the API operations

  createStateMachine(input: JsonObject): JsonObject {
    return machines.createStateMachine(this.rt, input);
  }

  updateStateMachine(input: JsonObject): JsonObject {
    return machines.updateStateMachine(this.rt, input);
  }

  describeStateMachine(input: JsonObject): JsonObject {
    return machines.describeStateMachine(this.rt, input);
  }

  describeStateMachineForExecution(input: JsonObject): JsonObject {
    return machines.describeStateMachineForExecution(this.rt, input);
  }

  listStateMachines(input: JsonObject): JsonObject {
    return machines.listStateMachines(this.rt, input);
  }

  deleteStateMachine(input: JsonObject): JsonObject {
    return machines.deleteStateMachine(this.rt, input);
  }

  startExecution(input: JsonObject): Promise<JsonObject> {
    return executions.startExecution(this.interpreter, input);
  }

  describeExecution(input: JsonObject): JsonObject {
    return executions.describeExecution(this.rt, input);
  }

  listExecutions(input: JsonObject): JsonObject {
    return executions.listExecutions(this.rt, input);
  }

  getExecutionHistory(input: JsonObject): JsonObject {
    return executions.getExecutionHistory(this.rt, input);
  }

  stopExecution(input: JsonObject): Promise<JsonObject> {
    return executions.stopExecution(this.interpreter, input);
  }

  redriveExecution(input: JsonObject): Promise<JsonObject> {
    return executions.redriveExecution(this.interpreter, input);
  }

  sendTaskSuccess(input: JsonObject): Promise<JsonObject> {
    return callbacks.sendTaskSuccess(this.interpreter, input);
  }

  sendTaskFailure(input: JsonObject): Promise<JsonObject> {
    return callbacks.sendTaskFailure(this.interpreter, input);
  }

  sendTaskHeartbeat(input: JsonObject): Promise<JsonObject> {
    return callbacks.sendTaskHeartbeat(this.interpreter, input);
  }

  // ---------------------------------------------------------------- billing

  /** Billed state transitions of one execution (every state entered, every retry), or undefined. */
  billedTransitions(executionArn: string): number | undefined {
    return this.rt.executions.get(executionArn)?.record.billed;
  }

  /** Billed transitions per execution and in total, with Step Functions Standard's price. */
  billing(input: JsonObject = {}): JsonObject {
    const arn = input.executionArn;
    const machine = input.stateMachineArn;
    const rows = [...this.rt.executions.values()]
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
