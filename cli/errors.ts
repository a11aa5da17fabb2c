import { EXIT, type ExitCode } from './exit-codes.ts';

export type CliErrorOptions = { cause?: unknown; hint?: string };

/** A failure the command reports as one clear line and an exit code, without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: CliErrorOptions,
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.hint = options?.hint;
  }
  readonly hint: string | undefined;
}

/** The base of a CliError class that fixes its name and exit code. */
function cliErrorClass<const N extends string>(name: N, exitCode: ExitCode) {
  return class extends CliError {
    constructor(message: string, options?: CliErrorOptions) {
      super(message, exitCode, options);
      this.name = name;
    }
  };
}

export class UsageError extends cliErrorClass('UsageError', EXIT.usage) {}
export class TargetUnavailableError extends cliErrorClass('TargetUnavailableError', EXIT.unavailable) {}
export class NotFoundError extends cliErrorClass('NotFoundError', EXIT.notFound) {}
export class RefusedError extends cliErrorClass('RefusedError', EXIT.refused) {}
export class OperationFailedError extends cliErrorClass('OperationFailedError', EXIT.failed) {}

/** The SDK's error name (its exception shape), or the JS error's name. */
export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : 'UnknownError';
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

export function isNamed(error: unknown, ...names: string[]): boolean {
  return names.includes(errorName(error));
}

/** A Node system error code (ECONNREFUSED, ENOENT, ...) anywhere in the cause chain. */
export function systemCode(error: unknown): string | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 5 && typeof current === 'object' && current !== null; depth += 1) {
    if ('code' in current && typeof current.code === 'string') return current.code;
    current = 'cause' in current ? current.cause : undefined;
  }
  return undefined;
}
