import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface Spawned {
  readonly child: ChildProcess;
  /** Everything written to stdout and stderr so far. */
  readonly out: { stdout: string; stderr: string };
  /** Resolves when the process ended, with its exit code (or the signal that ended it). */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves once stdout contains `text`. */
  waitForStdout(text: string, timeoutMs?: number): Promise<void>;
}

/**
 * Runs a real command, as an operator would: `node cli/recert.mjs ...` (the package's bin),
 * `node cli/start.mjs ...` (npm start) or `npm run -s <script> -- ...`.
 */
export function spawnCommand(
  command: string,
  args: readonly string[],
  options: { env?: Record<string, string>; closeStdout?: boolean } = {},
): Spawned {
  const child = spawn(command, [...args], {
    cwd: REPO_ROOT,
    env: { ...process.env, ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const out = { stdout: '', stderr: '' };
  if (options.closeStdout === true) child.stdout?.destroy();
  else child.stdout?.on('data', (chunk: Buffer) => (out.stdout += chunk.toString()));
  child.stderr?.on('data', (chunk: Buffer) => (out.stderr += chunk.toString()));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => resolve({ code, signal })),
  );
  return {
    child,
    out,
    exited,
    async waitForStdout(text, timeoutMs = 90_000) {
      const deadline = Date.now() + timeoutMs;
      while (!out.stdout.includes(text)) {
        if (child.exitCode !== null || Date.now() > deadline) {
          throw new Error(`no "${text}" on stdout; stdout: ${out.stdout}\nstderr: ${out.stderr}`);
        }
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
    },
  };
}

export const recert = (args: readonly string[], options?: Parameters<typeof spawnCommand>[2]): Spawned =>
  spawnCommand(process.execPath, ['cli/recert.mjs', ...args], options);

export const npmStart = (args: readonly string[], options?: Parameters<typeof spawnCommand>[2]): Spawned =>
  spawnCommand(process.execPath, ['cli/start.mjs', ...args], options);
