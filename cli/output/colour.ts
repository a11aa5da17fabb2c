import type { CliIo } from '../io.ts';

/** Colour only for a person at a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function useColour(io: CliIo): boolean {
  return io.stdoutIsTTY === true && (io.env.NO_COLOR ?? '') === '' && io.env.TERM !== 'dumb';
}

/**
 * The ANSI SGR code of a status (of a rotation, an execution, a campaign, an audit check or a
 * command's result): green done, red failed or escalated, yellow in flight, dim abandoned.
 */
export function statusColour(status: string): string | undefined {
  switch (status.toUpperCase()) {
    case 'SUCCEEDED':
    case 'ROTATED':
    case 'COMPLETED':
    case 'STARTED_ALL':
    case 'STARTED':
    case 'REDRIVEN':
    case 'COMPLETED_COMPLIANT':
      return '32';
    case 'FAILED':
    case 'TIMED_OUT':
    case 'TIMED OUT':
    case 'ABORTED':
    case 'ESCALATED':
    case 'REFUSED':
    case 'NOT FOUND':
    case 'UNREADABLE':
      return '31';
    case 'IN_PROGRESS':
    case 'PENDING':
    case 'RUNNING':
    case 'ENQUEUEING':
    case 'PENDING_REDRIVE':
    case 'STOPPED':
    case 'ALREADY STARTED':
    case 'COMPLETED_NON_COMPLIANT':
    case 'WAITING_FOR_DATA_COLLECTION':
      return '33';
    case 'ABANDONED':
    case 'CANCELED':
      return '2';
    default:
      return undefined;
  }
}

/** A status word coloured for a terminal (outside tables, e.g. `Status:` lines); as is otherwise. */
export function colourStatus(enabled: boolean, status: string): string {
  const code = enabled ? statusColour(status) : undefined;
  return code === undefined ? status : `\u001b[${code}m${status}\u001b[0m`;
}
