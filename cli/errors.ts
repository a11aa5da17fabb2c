import { EXIT, type ExitCode } from './exit-codes.ts';

/** A failure the command reports as one clear line and an exit code, without a stack trace. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: ExitCode,
    options?: { cause?: unknown; hint?: string },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CliError';
    this.hint = options?.hint;
  }
  readonly hint: string | undefined;
}

export class UsageError extends CliError {
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, EXIT.usage, options);
    this.name = 'UsageError';
  }
}

export class TargetUnavailableError extends CliError {
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, EXIT.unavailable, options);
    this.name = 'TargetUnavailableError';
  }
}

export class NotFoundError extends CliError {
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, EXIT.notFound, options);
    this.name = 'NotFoundError';
  }
}

export class RefusedError extends CliError {
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, EXIT.refused, options);
    this.name = 'RefusedError';
  }
}

export class OperationFailedError extends CliError {
  constructor(message: string, options?: { cause?: unknown; hint?: string }) {
    super(message, EXIT.failed, options);
    this.name = 'OperationFailedError';
  }
}

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
