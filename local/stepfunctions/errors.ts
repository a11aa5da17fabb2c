/**
 * The two families of failure in the Step Functions engine: API errors, which the server returns to a
 * caller with AWS's exception name in `__type`, and States errors, which a running state raises and
 * Retry/Catch match by name.
 */
import { namedError } from '../../lib/named-error.ts';

/** An error the Step Functions API returns to its caller, named as AWS names the exception. */
export class SfnApiError extends Error {
  constructor(
    readonly type: string,
    message: string,
    readonly httpStatus = 400,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = 'SfnApiError';
  }
}

export const apiError = (type: string, message: string, options?: { cause?: unknown }): SfnApiError =>
  new SfnApiError(type, message, 400, options);

/** An error raised inside an execution: `error` is the name Retry and Catch match, `cause` its detail. */
export class StatesError extends Error {
  /** For a JSONata evaluation failure: the field that failed (the history's EvaluationFailed location). */
  readonly location: string | undefined;

  constructor(
    readonly error: string,
    readonly causeText: string,
    options?: { cause?: unknown; location?: string },
  ) {
    super(`${error}: ${causeText}`, options);
    this.name = 'StatesError';
    this.location = options?.location;
  }
}

/** Errors that no Retry or Catch may handle: they always fail the execution. */
export const TERMINAL_ERRORS = new Set(['States.Runtime', 'States.DataLimitExceeded']);

export const runtimeError = (cause: string, options?: { cause?: unknown }): StatesError =>
  new StatesError('States.Runtime', cause, options);

/** A definition the engine cannot run; thrown at validation, surfaced as InvalidDefinition. */
export class InvalidDefinitionError extends namedError('InvalidDefinitionError') {}

/** The state directory holds data the engine cannot read back. */
export class StoreCorruptError extends namedError('StoreCorruptError') {}

/** A change reached the store after it closed, so it was not kept. */
export class StoreClosedError extends namedError('StoreClosedError') {}

/** AWS's answer while a service cannot take requests; the SDKs retry it. */
export const serviceUnavailable = (): SfnApiError =>
  new SfnApiError('ServiceUnavailable', 'The local Step Functions service is stopping', 503);
