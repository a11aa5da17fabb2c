/**
 * What the `recert` command talks to: two line writers, the environment and the working
 * directory. `bin.ts` binds them to the process; tests bind them to arrays, so every command runs
 * in-process exactly as it would from a terminal.
 */
export interface CliIo {
  /** Writes one line (no trailing newline needed) of the command's result. */
  readonly stdout: (line: string) => void;
  /** Writes one line of diagnostics, errors and progress. */
  readonly stderr: (line: string) => void;
  readonly env: Readonly<Record<string, string | undefined>>;
  readonly cwd: string;
  /** Whether stdout is a terminal: statuses are coloured only then. */
  readonly stdoutIsTTY?: boolean;
  /** Whether stderr is a terminal: progress lines are written only then. */
  readonly stderrIsTTY?: boolean;
  /** Ends long-running commands (`local up`, `device run`); SIGINT and SIGTERM by default. */
  readonly signal?: AbortSignal;
}

/** Progress of a long operation, shown to people on a terminal and kept out of pipes and logs. */
export function progress(io: CliIo, line: string): void {
  if (io.stderrIsTTY === true) io.stderr(line);
}

/**
 * A reader that went away (`recert status | head -1`) ends the command quietly with exit 0, as
 * Unix tools do; any other failure to write the output is one line on stderr and exit 1.
 */
export function endQuietlyOnClosedPipe(stream: NodeJS.WritableStream): void {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    process.stderr.write(`recert: cannot write the output: ${error.message}\n`);
    process.exit(1);
  });
}
