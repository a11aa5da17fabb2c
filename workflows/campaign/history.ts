/**
 * History events one campaign execution writes, so the turn limit keeps it under Step Functions' 25,000
 * events per execution; counted from what a Standard execution records per state and retry.
 */

export const HISTORY_EVENT_LIMIT = 25_000;

/** ExecutionStarted, ParallelStateEntered/Started/Succeeded/Exited, ExecutionSucceeded or Failed. */
const FIXED_EVENTS = 6;
/** Per branch: its Succeed state entered and exited. */
const BRANCH_END_EVENTS = 2;
/** StartPacing (Pass) entered and exited. */
const PASS_EVENTS = 2;
/** Task entered, scheduled, started, succeeded, exited; Choice entered, exited. */
export const EVENTS_PER_TURN = 7;
/** A retried attempt: scheduled, started, failed. */
export const EVENTS_PER_RETRY = 3;

export interface HistoryBound {
  /** Pacer turns of one execution (CampaignTurnsPerExecution). */
  readonly turns: number;
  /** Retries allowed per task state (TransientRetryMaxAttempts). */
  readonly retriesPerTurn: number;
}

/**
 * The most events one execution can write: every pacer turn and as many enqueue turns, each with every
 * retry spent.
 */
export function worstCaseHistoryEvents(bound: HistoryBound): number {
  const turn = EVENTS_PER_TURN + bound.retriesPerTurn * EVENTS_PER_RETRY;
  const enqueueTurns = bound.turns + 1;
  return FIXED_EVENTS + 2 * BRANCH_END_EVENTS + PASS_EVENTS + (bound.turns + enqueueTurns) * turn;
}

/** The events of an execution whose calls never needed a retry. */
export function typicalHistoryEvents(turns: number): number {
  return worstCaseHistoryEvents({ turns, retriesPerTurn: 0 });
}
