/** The soak's child processes: each a real `recert ...` command, as a user's terminal would run it. */
import { type ChildProcess, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { fileURLToPath } from 'node:url';

const RECERT = fileURLToPath(new URL('../cli/recert.mjs', import.meta.url));
const KILL_AFTER_MS = 30_000;

/** One `recert <args>` process: its stdout lines, its stderr, and how it ended. */
export class RecertProcess {
  readonly lines: string[] = [];
  readonly errors: string[] = [];
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly child: ChildProcess;
  private stopping = false;

  constructor(
    readonly args: readonly string[],
    cwd: string,
    onExit?: (process: RecertProcess, code: number | null, signal: NodeJS.Signals | null) => void,
    /** A file that gets a copy of its stdout and stderr, to read after the soak (--keep). */
    logPath?: string,
  ) {
    // Its own process group: a Ctrl-C in the terminal reaches the soak, which stops its children in order.
    this.child = spawn(process.execPath, [RECERT, ...args], {
      cwd,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, NO_COLOR: '1' },
    });
    if (logPath !== undefined) {
      const log = createWriteStream(logPath, { flags: 'a' });
      this.child.stdout?.pipe(log);
      this.child.stderr?.pipe(log);
    }
    let buffer = '';
    this.child.stdout?.setEncoding('utf8');
    this.child.stdout?.on('data', (chunk: string) => {
      buffer += chunk;
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      this.lines.push(...parts.filter((line) => line.length > 0));
    });
    this.child.stderr?.setEncoding('utf8');
    this.child.stderr?.on('data', (chunk: string) => this.errors.push(chunk));
    this.exited = new Promise((resolve) => {
      this.child.on('exit', (code, signal) => {
        live.delete(this);
        if (!this.stopping) onExit?.(this, code, signal);
        resolve({ code, signal });
      });
    });
    live.add(this);
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }

  /** JSON lines printed so far whose `type` is `type` (the agent's events). */
  events(type: string): Array<Record<string, unknown>> {
    return this.lines.flatMap((line) => {
      try {
        const event = JSON.parse(line) as Record<string, unknown>;
        return event.type === type ? [event] : [];
      } catch {
        return [];
      }
    });
  }

  /** Asks it to stop as Ctrl-C would (SIGINT) or SIGTERM; SIGKILL when it has not after 30 s. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> {
    this.stopping = true;
    if (!this.running) return (await this.exited).code;
    this.child.kill(signal);
    const timer = setTimeout(() => this.child.kill('SIGKILL'), KILL_AFTER_MS);
    const { code } = await this.exited;
    clearTimeout(timer);
    return code;
  }

  /** Its exit code, once it ends by itself. */
  async finished(): Promise<number | null> {
    this.stopping = true;
    return (await this.exited).code;
  }
}

const live = new Set<RecertProcess>();

/** Children still running: the soak stops them before it exits, SIGKILL if it exits abruptly. */
export function liveProcesses(): RecertProcess[] {
  return [...live];
}

process.on('exit', () => {
  for (const child of live) {
    if (child.pid !== undefined) {
      try {
        process.kill(child.pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  }
});
