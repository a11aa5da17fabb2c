import { GetExecutionHistoryCommand, type HistoryEvent, type SFNClient } from '@aws-sdk/client-sfn';
import { readableCause } from './error-text.ts';

/** One line of a rotation's story: a state it went through, or an execution-level event. */
export interface TimelineStep {
  readonly step: string;
  readonly at: string;
  exitedAt: string | undefined;
  outcome: 'running' | 'succeeded' | 'caught' | 'retried' | 'failed' | 'timed out' | 'aborted' | 'started';
  /** Task attempts (Lambda invocations, task-token waits) the state made; retries count. */
  attempts: number;
  error: string | undefined;
}

const SCHEDULED = new Set(['TaskScheduled', 'LambdaFunctionScheduled', 'ActivityScheduled']);
const MAX_CAUSE = 300;

/** The `error: cause` an event carries in whichever `*EventDetails` it has, if any. */
export function eventError(event: HistoryEvent): string | undefined {
  for (const [key, details] of Object.entries(event)) {
    if (!key.endsWith('EventDetails') || typeof details !== 'object' || details === null) continue;
    const error = 'error' in details && typeof details.error === 'string' ? details.error : undefined;
    const cause =
      'cause' in details && typeof details.cause === 'string' ? readableCause(details.cause) : undefined;
    if (error !== undefined || cause !== undefined) {
      const shortCause =
        cause !== undefined && cause.length > MAX_CAUSE ? `${cause.slice(0, MAX_CAUSE)}...` : cause;
      return [error, shortCause].filter((part) => part !== undefined && part !== '').join(': ');
    }
  }
  return undefined;
}

const iso = (event: HistoryEvent): string => event.timestamp?.toISOString() ?? '';

/**
 * Folds an execution history into steps: when each state was entered and left, how many task
 * attempts it made, and the error that ended it, so an operator sees where a rotation stands
 * without reading raw events.
 */
export function buildTimeline(events: readonly HistoryEvent[]): TimelineStep[] {
  const steps: TimelineStep[] = [];
  let current: TimelineStep | undefined;
  let failedAttempt = false;
  const executionRow = (event: HistoryEvent, outcome: TimelineStep['outcome']): TimelineStep => ({
    step: '(execution)',
    at: iso(event),
    exitedAt: undefined,
    outcome,
    attempts: 0,
    error: eventError(event),
  });
  for (const event of events) {
    const type = event.type ?? '';
    if (type.endsWith('StateEntered')) {
      current = {
        step: event.stateEnteredEventDetails?.name ?? type,
        at: iso(event),
        exitedAt: undefined,
        outcome: 'running',
        attempts: 0,
        error: undefined,
      };
      failedAttempt = false;
      steps.push(current);
    } else if (type.endsWith('StateExited')) {
      if (current) {
        current.exitedAt = iso(event);
        current.outcome = failedAttempt ? 'caught' : current.attempts > 1 ? 'retried' : 'succeeded';
        current = undefined;
      }
    } else if (SCHEDULED.has(type)) {
      if (current) current.attempts += 1;
      failedAttempt = false;
    } else if (type === 'ExecutionStarted') {
      steps.push(executionRow(event, 'started'));
    } else if (type === 'ExecutionRedriven') {
      const row = executionRow(event, 'started');
      steps.push({ ...row, step: `(redriven #${event.executionRedrivenEventDetails?.redriveCount ?? '?'})` });
    } else if (type === 'ExecutionSucceeded') {
      steps.push(executionRow(event, 'succeeded'));
    } else if (type === 'ExecutionFailed' || type === 'ExecutionTimedOut' || type === 'ExecutionAborted') {
      const outcome =
        type === 'ExecutionFailed' ? 'failed' : type === 'ExecutionTimedOut' ? 'timed out' : 'aborted';
      const row = executionRow(event, outcome);
      if (current) {
        current.outcome = outcome;
        current.exitedAt = row.at;
        current.error ??= row.error;
        current = undefined;
      }
      steps.push(row);
    } else {
      const error = eventError(event);
      if (error !== undefined && current) {
        current.error = error;
        current.outcome = type.endsWith('TimedOut') ? 'timed out' : 'failed';
        failedAttempt = true;
      }
    }
  }
  return steps;
}

/** The whole history of an execution, oldest first, page after page. */
export async function executionHistory(sfn: SFNClient, executionArn: string): Promise<HistoryEvent[]> {
  const { events } = await readExecutionHistory(sfn, executionArn, {
    includeExecutionData: false,
    maxEvents: Number.POSITIVE_INFINITY,
  });
  return events;
}

/**
 * An execution's history, oldest first, page after page, up to `maxEvents` (`cut` when there were
 * more), with each event's input and output when `includeExecutionData`.
 */
export async function readExecutionHistory(
  sfn: SFNClient,
  executionArn: string,
  options: { includeExecutionData: boolean; maxEvents: number },
): Promise<{ events: HistoryEvent[]; cut: boolean }> {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const out = await sfn.send(
      new GetExecutionHistoryCommand({
        executionArn,
        maxResults: 1000,
        includeExecutionData: options.includeExecutionData,
        ...(nextToken !== undefined ? { nextToken } : {}),
      }),
    );
    events.push(...(out.events ?? []));
    nextToken = out.nextToken;
  } while (nextToken !== undefined && events.length < options.maxEvents);
  return {
    events: events.slice(0, options.maxEvents),
    cut: nextToken !== undefined || events.length > options.maxEvents,
  };
}
