import { type ParseArgsConfig, parseArgs } from 'node:util';
import { namedError } from '../lib/named-error.ts';

type OptionsConfig = NonNullable<ParseArgsConfig['options']>;

/** A command line a `recert device` subcommand refuses; the message says what was wrong. */
export class DeviceUsageError extends namedError('UsageError') {}

/** The flags (and operands, where allowed) of a `recert device` subcommand; a malformed one throws DeviceUsageError. */
export function parseDeviceArgs<const O extends OptionsConfig>(
  args: string[],
  options: O,
  allowPositionals: boolean,
) {
  try {
    return parseArgs({ args, strict: true, allowPositionals, options });
  } catch (error) {
    throw new DeviceUsageError(error instanceof Error ? error.message : String(error));
  }
}

/** Says on stderr why `recert device <subcommand>` refused its command line and where its usage is; the exit code, 2. */
export function usageFailure(
  io: { readonly stderr: (line: string) => void },
  subcommand: string,
  reason: string,
): number {
  io.stderr(`recert device ${subcommand}: ${reason}\n\nRun "recert device ${subcommand} --help" for usage.`);
  return 2;
}
