import type { CliIo } from '../io.ts';

/** Colour only for a person at a terminal, and never when NO_COLOR is set (https://no-color.org). */
export function useColour(io: CliIo): boolean {
  return io.stdoutIsTTY === true && (io.env.NO_COLOR ?? '') === '' && io.env.TERM !== 'dumb';
}

/** The ANSI SGR code of a rotation status: green done, red failed, yellow in flight, dim abandoned. */
export function statusColour(status: string): string | undefined {
  switch (status) {
    case 'SUCCEEDED':
    case 'ROTATED':
      return '32';
    case 'FAILED':
    case 'TIMED_OUT':
    case 'ABORTED':
      return '31';
    case 'IN_PROGRESS':
    case 'PENDING':
      return '33';
    case 'ABANDONED':
      return '2';
    default:
      return undefined;
  }
}
