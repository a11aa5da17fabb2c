import type { Definition } from './definition.ts';
import type { Json } from './json.ts';

/**
 * What the engine keeps, in memory and (through the store) on disk. Times are epoch milliseconds on
 * the engine's clock.
 */

export interface MachineRecord {
  readonly arn: string;
  readonly name: string;
  definitionHash: string;
  roleArn: string;
  readonly type: 'STANDARD' | 'EXPRESS';
  readonly creationDate: number;
  updateDate?: number;
  revisionId: string;
  loggingConfiguration?: Json;
  tracingConfiguration?: Json;
}

export type ExecutionStatus =
  | 'RUNNING'
  | 'SUCCEEDED'
  | 'FAILED'
  | 'TIMED_OUT'
  | 'ABORTED'
  | 'PENDING_REDRIVE';

/** One execution's header: everything but its frames and its history. */
export interface ExecutionRecord {
  readonly arn: string;
  readonly machineArn: string;
  readonly name: string;
  readonly definitionHash: string;
  readonly roleArn: string;
  status: ExecutionStatus;
  readonly startDate: number;
  stopDate?: number;
  readonly input: string;
  output?: string;
  error?: string;
  cause?: string;
  redriveCount: number;
  redriveDate?: number;
  /** State transitions billed so far, as Step Functions Standard bills them. */
  billed: number;
  /** When the machine-level TimeoutSeconds ends this execution. */
  timeoutAt?: number;
  nextFrame: number;
  nextEventId: number;
}

export type FrameStatus = 'running' | 'succeeded' | 'failed' | 'aborted';

/** Where a frame's current state is in its life. */
export type Phase =
  | { kind: 'enter' }
  /** Entered; its fields are being computed (after a restart, computed again from the input). */
  | { kind: 'running' }
  /** A Map iteration whose input (ItemSelector) is not computed yet. */
  | { kind: 'select' }
  /** A Task's result arrived and is being shaped into the output. */
  | { kind: 'result'; result: Json }
  | {
      kind: 'task';
      params: Json;
      timeoutAt?: number;
      heartbeatAt?: number;
      heartbeatSeconds?: number;
      token?: string;
      /** For a callback task: whether the call carrying the token returned. */
      submitted?: boolean;
    }
  | { kind: 'wait'; until: number }
  | { kind: 'retry'; until: number; error: string; cause: string }
  | { kind: 'children'; items: Json[]; started: number; done: number; failed: number };

/**
 * A thread of the interpreter: the top level, one Parallel branch, or one Map iteration. It sits in
 * one state of its container at a time.
 */
export interface Frame {
  readonly id: string;
  readonly parent?: string;
  readonly container: string;
  /** Branch or item index inside the parent's Parallel or Map state. */
  readonly index: number;
  status: FrameStatus;
  state: string;
  /** The raw input of the current state. */
  input: Json;
  enteredAt: number;
  /** Variables assigned in this scope. */
  variables: Record<string, Json>;
  /** Variables visible from enclosing scopes when this frame started. */
  readonly outer: Record<string, Json>;
  /** Map item value and index (Map iterations only). */
  readonly item?: Json;
  phase: Phase;
  /** Attempts used per retrier of the current state. */
  retries: number[];
  output?: Json;
  error?: string;
  cause?: string;
  /** Child frame ids while the current state is a Parallel or Map. */
  children: string[];
  /** Id of the last history event this frame produced. */
  lastEventId: number;
}

export interface HistoryEvent {
  readonly id: number;
  readonly previousEventId: number;
  readonly timestamp: number;
  readonly type: string;
  readonly [details: string]: Json | undefined;
}

/** One execution in memory: its header, its frames, its history, and the definition it runs. */
export interface Execution {
  readonly record: ExecutionRecord;
  readonly frames: Map<string, Frame>;
  readonly events: HistoryEvent[];
  readonly definition: Definition;
}
