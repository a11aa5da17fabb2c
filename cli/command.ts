import type { CliIo } from './io.ts';
import type { TargetFlags } from './target/resolve-target.ts';
import type { Target } from './target/target.ts';

/** What a command gets besides its arguments. */
export interface CommandContext {
  readonly io: CliIo;
  /** The wall clock, for `--since` and ages. */
  readonly now: () => number;
  /** Connects to AWS or the local AWS from the global flags (lazily: help needs no target). */
  readonly connect: (flags: TargetFlags) => Promise<Target>;
}

export interface Command {
  /** The full `--help` text, with examples. */
  readonly help: string;
  run(args: string[], context: CommandContext): Promise<number>;
}

/**
 * A command as the dispatcher knows it before loading it: loading a command pulls in the AWS SDK
 * clients it needs, so a usage error or the command list never waits for them.
 */
export interface CommandEntry {
  /** The words that name it: `['rotations', 'list']`. */
  readonly path: readonly string[];
  readonly summary: string;
  load(): Promise<Command>;
}

/** Runs `body` with a connected target and always closes its clients. */
export async function withTarget<T>(
  context: CommandContext,
  flags: TargetFlags,
  body: (target: Target) => Promise<T>,
): Promise<T> {
  const target = await context.connect(flags);
  try {
    return await body(target);
  } finally {
    target.close();
  }
}

/** Prints the command's help when `--help` was given; true when it did (the command then exits 0). */
export function helpShown(values: { help?: boolean }, help: string, context: CommandContext): boolean {
  if (values.help !== true) return false;
  context.io.stdout(help);
  return true;
}
