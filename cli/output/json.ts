import type { CliIo } from '../io.ts';

/** One JSON document on stdout: the whole result, so a script parses it in one go. */
export function printJson(io: CliIo, value: unknown): void {
  io.stdout(JSON.stringify(value, null, 2));
}
