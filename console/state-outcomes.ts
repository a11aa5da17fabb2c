import type { HistoryEvent } from '@aws-sdk/client-sfn';

/** What an execution did in a state, as the graph colours it. */
export type StateOutcome = 'succeeded' | 'caught' | 'failed' | 'in progress' | 'not reached';

const FAILURE = /(Failed|TimedOut|StartFailed|SubmitFailed)$/;

/**
 * Each state's latest outcome in an execution's history (oldest event first): entered and not left
 * is in progress (or failed, when the execution ended there); left after a failed attempt is caught
 * (a Catch or a retry took it on); a redrive enters the failed state again, so the last word wins.
 */
export function stateOutcomes(events: readonly HistoryEvent[]): Map<string, StateOutcome> {
  const outcomes = new Map<string, StateOutcome>();
  let current: string | undefined;
  let failedAttempt = false;
  for (const event of events) {
    const type = event.type ?? '';
    if (type.endsWith('StateEntered')) {
      current = event.stateEnteredEventDetails?.name;
      failedAttempt = false;
      if (current !== undefined) outcomes.set(current, 'in progress');
    } else if (type.endsWith('StateExited')) {
      const name = event.stateExitedEventDetails?.name ?? current;
      if (name !== undefined) outcomes.set(name, failedAttempt ? 'caught' : 'succeeded');
      current = undefined;
    } else if (type === 'ExecutionFailed' || type === 'ExecutionTimedOut' || type === 'ExecutionAborted') {
      if (current !== undefined) outcomes.set(current, 'failed');
      current = undefined;
    } else if (type === 'ExecutionRedriven') {
      current = undefined;
    } else if (FAILURE.test(type) && !type.startsWith('Execution')) {
      failedAttempt = true;
    }
  }
  return outcomes;
}

/** The outcome of a state the history never mentions. */
export const outcomeOf = (outcomes: ReadonlyMap<string, StateOutcome>, state: string): StateOutcome =>
  outcomes.get(state) ?? 'not reached';
