import { StatesError } from './errors.ts';

/**
 * Step Functions' hard quotas that an execution can reach, with the errors AWS reports for them
 * (https://docs.aws.amazon.com/step-functions/latest/dg/service-quotas.html).
 */

/**
 * 256 KiB of UTF-8: an execution's input (StartExecution), a task's result (SendTaskSuccess, or what
 * an integration returns), a state's input when it is entered or its task scheduled, its output.
 */
export const PAYLOAD_LIMIT = 256 * 1024;

/** Events in one execution's history; event number 25,000 can only be the execution's end. */
export const HISTORY_LIMIT = 25_000;

/** How AWS fails an execution whose next event would be number 25,000 and not its end. */
export const HISTORY_LIMIT_ERROR = 'States.Runtime';
export const HISTORY_LIMIT_CAUSE = `The execution reached the maximum number of history events (${HISTORY_LIMIT}).`;

/** The history events that end an execution, the only ones allowed as event number 25,000. */
export const CLOSING_EVENTS: ReadonlySet<string> = new Set([
  'ExecutionSucceeded',
  'ExecutionFailed',
  'ExecutionTimedOut',
  'ExecutionAborted',
]);

/**
 * Whether a payload's JSON text is over the quota. The engine serialises every payload for its
 * history anyway; this only counts UTF-8 bytes when the text's length leaves it in doubt (a UTF-16
 * unit is 1 to 3 bytes), so small payloads cost one comparison.
 */
export const overPayloadLimit = (text: string): boolean => {
  if (text.length * 3 <= PAYLOAD_LIMIT) return false;
  if (text.length > PAYLOAD_LIMIT) return true;
  return Buffer.byteLength(text, 'utf8') > PAYLOAD_LIMIT;
};

/** A state's output, or a task's result, over the quota: `name` is the state, or the task's resource. */
export const resultTooLarge = (name: string): StatesError =>
  new StatesError(
    'States.DataLimitExceeded',
    `The state/task '${name}' returned a result with a size exceeding the maximum number of bytes service limit.`,
  );

/** A state's input (as entered, or its task's parameters) over the quota. */
export const inputTooLarge = (name: string): StatesError =>
  new StatesError(
    'States.DataLimitExceeded',
    `The state/task '${name}' has an input with a size exceeding the maximum number of bytes service limit.`,
  );
