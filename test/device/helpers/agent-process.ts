import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { onTestFinished } from 'vitest';
import { type DeviceFiles, deviceRunArgs } from './agent-harness.ts';

const BIN = fileURLToPath(new URL('../../../device/bin.ts', import.meta.url));
const RECERT = fileURLToPath(new URL('../../../cli/bin.ts', import.meta.url));
// tsx by path, so the command can run from any working directory.
const TSX = new URL('../../../node_modules/tsx/dist/loader.mjs', import.meta.url).href;

/**
 * The device agent as a real child process (`device/bin.ts run ...`), so it can be killed with SIGKILL.
 * Made inside a test; killed when that test finishes, passed or failed.
 */
export class AgentProcess {
  readonly lines: string[] = [];
  readonly errors: string[] = [];
  readonly exited: Promise<number | null>;

  private constructor(readonly child: ChildProcess) {
    let buffer = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (chunk: string) => {
      buffer += chunk;
      const parts = buffer.split('\n');
      buffer = parts.pop() ?? '';
      this.lines.push(...parts.filter((line) => line.length > 0));
    });
    child.stderr?.setEncoding('utf8');
    child.stderr?.on('data', (chunk: string) => this.errors.push(chunk));
    this.exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
    // Whatever the test's outcome, its agents do not outlive it.
    onTestFinished(async () => {
      if (child.exitCode === null && child.signalCode === null) await this.kill9();
    });
  }

  static start(thing: string, files: DeviceFiles, port: number): AgentProcess {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', BIN, ...deviceRunArgs(thing, files, `127.0.0.1:${port}`)],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    return new AgentProcess(child);
  }

  /** `recert <args...>` (e.g. `device run --dir ...`) as a child process. */
  static recert(args: readonly string[], cwd?: string): AgentProcess {
    const child = spawn(process.execPath, ['--import', TSX, RECERT, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      ...(cwd !== undefined ? { cwd } : {}),
    });
    return new AgentProcess(child);
  }

  /** JSON lines printed so far whose `type` is `type`. */
  events(type: string): Array<Record<string, unknown>> {
    const found: Array<Record<string, unknown>> = [];
    for (const line of this.lines) {
      try {
        const event = JSON.parse(line) as Record<string, unknown>;
        if (event.type === type) found.push(event);
      } catch {
        // Not an event line.
      }
    }
    return found;
  }

  async waitForLine(pattern: RegExp, timeoutMs = 20_000): Promise<string> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const found = this.lines.find((line) => pattern.test(line));
      if (found) return found;
      if (Date.now() > deadline)
        throw new Error(`agent never printed ${pattern}; printed: ${this.lines.join(' | ')}`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  /** Power cut: SIGKILL, no chance to clean up. */
  async kill9(): Promise<void> {
    this.child.kill('SIGKILL');
    await this.exited;
  }

  async stop(): Promise<number | null> {
    this.child.kill('SIGTERM');
    return this.exited;
  }
}
