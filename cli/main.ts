import type { CommandContext, CommandEntry } from './command.ts';
import { commandEntries } from './commands/index.ts';
import { EXIT, EXIT_CODES_HELP } from './exit-codes.ts';
import type { CliIo } from './io.ts';
import type { LocalAwsControl } from './local-aws-control.ts';
import { reportError } from './report-error.ts';
import { didYouMean } from './suggest.ts';
import type { TargetFlags } from './target/resolve-target.ts';
import type { Target } from './target/target.ts';
import { recertVersion } from './version.ts';

export type { CliIo } from './io.ts';

export interface CliOptions {
  /** The wall clock (tests fix it). */
  readonly now?: () => number;
  /** Replaces target resolution (tests inject nothing here: they use --local and a manifest). */
  readonly connect?: (flags: TargetFlags) => Promise<Target>;
  /** Replaces the local AWS implementation that `local up` loads. */
  readonly loadLocalAws?: () => Promise<LocalAwsControl>;
}

function mainHelp(list: readonly CommandEntry[]): string {
  const rows: Array<[string, string]> = list.map((c) => [c.path.join(' '), c.summary]);
  rows.push(
    ['device run', 'run the reference device agent (see "recert device --help")'],
    ['device provision', 'onboard a device: thing, key, certificate, policy, and its agent directory'],
    ['device test', 'check a connected device against the rotation protocol (conformance kit)'],
  );
  const width = Math.max(...rows.map(([name]) => name.length));
  return `Usage: recert <command> [options]

Rotates the X.509 certificates of an AWS IoT Core fleet on AWS Step Functions, and lets operators
inspect and repair rotations, against AWS or the embedded local AWS, with the same commands.

Commands:
${rows.map(([name, summary]) => `  ${name.padEnd(width)}  ${summary}`).join('\n')}

Run "recert help <command>" (or "recert <command> --help") for a command's options and examples;
"recert --version" for the version; "recert completion bash|zsh" for shell completion.

Target: AWS by default (the default credential chain and region; resources from the outputs of
the CloudFormation stack named by --stack or RECERT_STACK, default Recert), or the local AWS with
--local or RECERT_LOCAL=1 (its state directory from --state-dir or RECERT_STATE_DIR, default .recert).

Output: tables for people; --json prints one JSON document for scripts. Errors go to stderr.
Set RECERT_DEBUG=1 to print stack traces.

${EXIT_CODES_HELP}`;
}

/** Finds the command named by the leading words of argv; the rest are its arguments. */
function dispatch(
  list: readonly CommandEntry[],
  argv: readonly string[],
): { command: CommandEntry; rest: string[] } | undefined {
  let best: { command: CommandEntry; rest: string[] } | undefined;
  for (const command of list) {
    const n = command.path.length;
    if (argv.length >= n && command.path.every((word, i) => argv[i] === word)) {
      if (!best || n > best.command.path.length) best = { command, rest: argv.slice(n) };
    }
  }
  return best;
}

/**
 * The clock ages and `--since` are measured on: with --local, the local AWS's (it may run faster
 * than the wall clock, and a state directory continues its clock from run to run).
 */
async function clockOf(args: readonly string[], io: CliIo): Promise<() => number> {
  const local = args.includes('--local');
  if (!local && io.env.RECERT_LOCAL === undefined) return Date.now;
  const { stateDirOf, wantsLocal } = await import('./target/resolve-target.ts');
  if (!wantsLocal({ local }, io)) return Date.now;
  const at = args.findIndex((arg) => arg === '--state-dir' || arg.startsWith('--state-dir='));
  const arg = args[at] ?? '';
  const dir = arg.includes('=') ? arg.slice(arg.indexOf('=') + 1) : args[at + 1];
  const { localClockNow } = await import('./target/state-clock.ts');
  return localClockNow(stateDirOf({ 'state-dir': at >= 0 ? dir : undefined }, io));
}

/** The `recert` command: runs argv (without `node` and the script) and resolves with the exit code. */
export async function runCli(argv: readonly string[], io: CliIo, options: CliOptions = {}): Promise<number> {
  const list = commandEntries(options.loadLocalAws);
  const [first] = argv;
  if (first === undefined) {
    io.stderr(mainHelp(list));
    return EXIT.usage;
  }
  if (first === '--version' || first === 'version') {
    io.stdout(`recert/${recertVersion()} node/${process.version}`);
    return EXIT.ok;
  }
  if (first === 'help' && argv.length > 1) return runCli([...argv.slice(1), '--help'], io, options);
  if (first === '--help' || first === '-h' || first === 'help') {
    io.stdout(mainHelp(list));
    return EXIT.ok;
  }
  if (first === 'device') {
    const { runDeviceCommand } = await import('../device/index.ts');
    return runDeviceCommand(argv.slice(1), {
      stdout: io.stdout,
      stderr: io.stderr,
      cwd: io.cwd,
      ...(io.signal ? { signal: io.signal } : {}),
    });
  }
  const found = dispatch(list, argv);
  if (!found) {
    const group = list.filter((c) => c.path.length > 1 && c.path[0] === first);
    if (group.length > 0) {
      const sub = argv[1];
      const wantsHelp = sub === undefined || sub === '--help' || sub === '-h';
      const text = `Usage:\n${group.map((c) => `  recert ${c.path.join(' ')}  ${c.summary}`).join('\n')}`;
      if (wantsHelp && sub !== undefined) {
        io.stdout(text);
        return EXIT.ok;
      }
      const meant =
        sub === undefined
          ? undefined
          : didYouMean(
              sub,
              group.map((c) => c.path[1] ?? ''),
            );
      io.stderr(
        sub === undefined
          ? `recert ${first}: a subcommand is needed\n${text}`
          : `recert ${first}: unknown subcommand ${JSON.stringify(sub)}${meant ? ` (did you mean "recert ${first} ${meant}"?)` : ''}\n${text}`,
      );
      return EXIT.usage;
    }
    const meant = didYouMean(first, [...new Set([...list.map((c) => c.path[0] ?? ''), 'device', 'help'])]);
    io.stderr(
      `recert: unknown command ${JSON.stringify(first)}.${meant ? ` Did you mean "recert ${meant}"?` : ''} Run "recert --help" for the list.`,
    );
    return EXIT.usage;
  }
  const context: CommandContext = {
    io,
    now: options.now ?? (await clockOf(found.rest, io)),
    connect:
      options.connect ??
      (async (flags) => {
        const { resolveTarget } = await import('./target/resolve-target.ts');
        return resolveTarget(flags, io);
      }),
  };
  const prefix = `recert ${found.command.path.join(' ')}`;
  try {
    const command = await found.command.load();
    return await command.run(found.rest, context);
  } catch (error) {
    const code = reportError(io, prefix, error);
    if (code === EXIT.usage) io.stderr(`  Run "${prefix} --help" for usage.`);
    return code;
  }
}
